/**
 * Engine handlers for inference: load/unload models (sessions keyed by model id), list them, and generate with
 * streamed `text` events. Registered by importing this module (see electron/engine/handlers/index.ts).
 */
import { z } from 'zod';
import { GenerationSettings } from '../../contract/inference';
import { EngineError, EngineErrorCode } from '../protocol';
import { registerHandler } from '../registry';
import { generate, PromptTooLongError, type GenerationResult } from '../../generate/generator';
import { ModelFolderError } from '../../generate/model-files';
import { GenerationCancelledError, ModelLoadError, ModelPool, type LoadedModelInfo } from '../../generate/model-pool';
import type { StreamEvent } from '../../generate/r1-stream';

export const pool = new ModelPool();

const ModelId = z.string().min(1).max(200);

export const LoadParams = z.object({
  modelId: ModelId,
  dir: z.string().min(1),
  provider: z.string().optional(),
  dtype: z.string().optional(),
  contextLength: z.number().int().min(16).max(131_072).optional(),
  threads: z.number().int().min(1).max(256).optional(),
  ignoreMemoryCheck: z.boolean().optional(),
});
export type LoadParams = z.infer<typeof LoadParams>;

/**
 * The contract's sampling settings (one definition, so the limits cannot drift) without what the host resolves
 * itself (provider, dtype go into `load`), plus the engine-only knobs that the UI does not offer.
 */
export const GenerateOptionsSchema = GenerationSettings.omit({ provider: true, dtype: true }).extend({
  repetitionPenalty: z.number().min(0.5).max(5).optional(),
});

export const ChatTurnSchema = z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.string() });

export const GenerateParams = z.object({
  modelId: ModelId,
  /** Loads the model first when it is not loaded yet. */
  load: LoadParams.omit({ modelId: true }).optional(),
  messages: z.array(ChatTurnSchema).min(1),
  options: GenerateOptionsSchema.default({}),
});
export type GenerateParams = z.infer<typeof GenerateParams>;

/** Streamed during `generate.run`: one event per piece of text, with the tokens generated so far. */
export type GenerateTextEvent = StreamEvent & { tokens: number };

/**
 * Coalesces streamed text: the first piece goes out at once (time to first token), later ones at most every
 * BATCH_MS, merged by type. A message per token would wake the host (and on a 2-core machine take CPU from the
 * model) for every token; 40 ms is below what a reader notices.
 */
export const BATCH_MS = 40;

export class TextBatcher {
  private pending: GenerateTextEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sentFirst = false;

  constructor(private readonly send: (event: GenerateTextEvent) => void) {}

  push(event: GenerateTextEvent): void {
    if (!this.sentFirst) {
      this.sentFirst = true;
      this.send(event);
      return;
    }
    const last = this.pending[this.pending.length - 1];
    if (last && last.type === event.type) {
      last.text += event.text;
      last.tokens = event.tokens;
    } else {
      this.pending.push({ ...event });
    }
    this.timer ??= setTimeout(() => this.flush(), BATCH_MS);
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const out = this.pending;
    this.pending = [];
    out.forEach(this.send);
  }
}

export function asEngineError(err: unknown): unknown {
  if (err instanceof GenerationCancelledError) return new EngineError(EngineErrorCode.cancelled, err.message);
  if (err instanceof PromptTooLongError) return new EngineError(EngineErrorCode.badParams, err.message);
  if (err instanceof ModelLoadError) return new EngineError(err.code, err.message);
  if (err instanceof ModelFolderError) return new EngineError(err.code, err.message);
  return err;
}

registerHandler<LoadParams, LoadedModelInfo>({
  method: 'generate.load',
  params: LoadParams,
  async handle(params) {
    return pool.load(params).catch((err) => Promise.reject(asEngineError(err)));
  },
});

registerHandler<{ modelId: string }, { unloaded: boolean }>({
  method: 'generate.unload',
  params: z.object({ modelId: ModelId }),
  async handle({ modelId }) {
    return { unloaded: await pool.unload(modelId) };
  },
});

registerHandler<Record<string, never>, LoadedModelInfo[]>({
  method: 'generate.loaded',
  async handle() {
    return pool.list();
  },
});

registerHandler<GenerateParams, GenerationResult & { model: LoadedModelInfo }>({
  method: 'generate.run',
  params: GenerateParams,
  async handle(params, ctx) {
    try {
      if (params.load) await pool.load({ modelId: params.modelId, ...params.load });
      return await pool.run(params.modelId, async (model, info, signal) => {
        const batcher = new TextBatcher((event) => ctx.emit('text', event));
        try {
          const result = await generate(model, { messages: params.messages }, params.options, {
            signal,
            onEvent: (event, tokens) => batcher.push({ ...event, tokens }),
            onThoughtClosed: (thought) => {
              batcher.flush(); // the thought's last words go out before the news that it ended
              ctx.emit('thought', thought);
            },
          });
          return { ...result, model: info };
        } finally {
          batcher.flush();
        }
      }, ctx.signal);
    } catch (err) {
      throw asEngineError(err);
    }
  },
});

/**
 * Engine handlers for inference: load/unload models (sessions keyed by model id), list them, and generate with
 * streamed `text` events. Registered by importing this module (see electron/engine/handlers/index.ts).
 */
import type { GenerateTextEvent } from '../../contract/generation';
import { EngineError, EngineErrorCode } from '../protocol';
import { registerHandler } from '../registry';
import { generate, PromptTooLongError } from '../../generate/generator';
import { ModelFolderError } from '../../generate/model-files';
import { GenerationCancelledError, ModelLoadError, ModelPool } from '../../generate/model-pool';

export const pool = new ModelPool();

/** The engine-only options schema, under the name the tests know. */
export { GenerateOptions as GenerateOptionsSchema } from '../../contract/engine';

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

registerHandler('generate.load', async (params) => {
  return pool.load(params).catch((err) => Promise.reject(asEngineError(err)));
});

registerHandler('generate.unload', async ({ modelId }) => {
  return { unloaded: await pool.unload(modelId) };
});

registerHandler('generate.loaded', async () => {
  return pool.list();
});

registerHandler('generate.run', async (params, ctx) => {
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
});

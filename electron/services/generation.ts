/**
 * The one way the services generate text: chat replies, votes, the OpenAI-compatible route and `distillery run` all
 * start here. A generation resolves how to load the model (the call's provider/dtype/threads over the model's and
 * the user's settings), streams `generate.run` from the engine (which loads the model first when it is not loaded
 * that way yet, and keeps it loaded for the next call), turns the engine's events into typed pieces, stops on
 * cancel() or the caller's signal, and remembers what was loaded once it succeeds.
 *
 * Every engine call for generating lives in this file, so a change of the engine's protocol touches one place.
 */
import type { GenerationSettings, MessageStats } from '../contract/inference';
import type { EngineStreamEvent } from '../engine/host';
import type { GenerateTextEvent } from '../engine/handlers/generate';
import type { GenerationResult } from '../generate/generator';
import type { LoadedModelInfo } from '../generate/model-pool';
import type { ServiceContext } from './context';
import { registryFor } from './models';

export type ChatTurn = { role: 'system' | 'user' | 'assistant'; content: string };

/**
 * Sampling settings plus how to load the model. Provider, dtype and threads left out come from the model's and the
 * user's settings; `provider` is a string because the CLI passes what the user typed (the engine says what it knows).
 */
export type GenerationRequestSettings = Omit<GenerationSettings, 'provider'> & { provider?: string; threads?: number };

export interface GenerationRequest {
  modelId: string;
  messages: ChatTurn[];
  settings?: GenerationRequestSettings;
  /** Aborting it stops the generation, as cancel() does. */
  signal?: AbortSignal;
}

/** A piece of streamed text (with the tokens generated so far), or the news that the thought closed. */
export type GenerationPiece = GenerateTextEvent | { type: 'thought'; ms: number; tokens: number };

/** What a finished generation returns: the text, its figures, and the model as it was loaded. */
export type GenerationOutput = GenerationResult & { model: LoadedModelInfo };

export interface GenerationRun {
  /** The engine's request id (unique while the engine host lives). */
  readonly id: string;
  /** The streamed pieces, in order; ends when the generation settles. One consumer. */
  readonly pieces: AsyncIterable<GenerationPiece>;
  /**
   * Resolves when the model is done, also when stopped (finishReason 'stopped', with the text so far); rejects with
   * the engine's error as the callers map it (code 'cancelled' when stopped before the engine started it,
   * 'model_invalid' for a broken folder, 'insufficient_memory', a crash of the engine, ...).
   */
  readonly result: Promise<GenerationOutput>;
  cancel(): void;
}

export interface Generation {
  /** Starts a generation; throws at once (ApiError 'not_found') when the model is not registered. */
  start(request: GenerationRequest): GenerationRun;
}

/** The figures saved with a reply or a sample: the engine's stats and which model produced them. */
export const statsOf = (output: GenerationOutput): MessageStats => ({ ...output.stats, modelId: output.model.modelId });

export function createGeneration(ctx: ServiceContext): Generation {
  const registry = registryFor(ctx);
  return {
    start({ modelId, messages, settings = {}, signal }) {
      const { provider, dtype, threads, ...options } = settings;
      const load = registry.loadParams(modelId, { provider, dtype, threads });
      const call = ctx.engine.stream<GenerationOutput>('generate.run', { modelId, load, messages, options }, { signal });
      const result = call.result.then((output) => {
        registry.remember(output.model);
        return output;
      });
      return { id: call.id, pieces: piecesOf(call.events), result, cancel: call.cancel };
    },
  };
}

async function* piecesOf(events: AsyncIterable<EngineStreamEvent>): AsyncGenerator<GenerationPiece> {
  for await (const { event, data } of events) {
    if (event === 'text') yield data as GenerateTextEvent;
    else if (event === 'thought') yield { type: 'thought', ...(data as { ms: number; tokens: number }) };
  }
}

/** One generation service per services instance, shared by the modules and the adapters (server, CLI). */
const generations = new WeakMap<ServiceContext, Generation>();
export function generationFor(ctx: ServiceContext): Generation {
  let generation = generations.get(ctx);
  if (!generation) {
    generation = createGeneration(ctx);
    generations.set(ctx, generation);
  }
  return generation;
}

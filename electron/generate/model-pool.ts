/**
 * The models loaded in the engine, keyed by model id. Each has one session and exactly one KV cache (sized for the
 * context it was loaded with, counted in the load-time memory estimate, freed on unload), so generations on the same
 * model run one after another (a per-model queue) and the next one reuses the cached prefix of its prompt; Compare
 * runs one cache per model it compares, a vote's samples share their model's one cache (each reuses the prompt).
 */
import type * as ort from 'onnxruntime-node';
import type { GenerationModel } from './generator';
import type { LoadedModelInfo } from '../contract/generation';
import { availableMemoryBytes, estimateMemory, refusalMessage } from './memory';
import { inspectModelFolder, pickVariant, presentOutputs, type DecoderShape } from './model-files';
import { OrtDecoder, type OrtDecoderOptions } from './ort-decoder';
import { fusedPrefillOn, XkvDecoder, type XkvDecoderOptions } from './xkv-decoder';
import { PORTABLE_ON_CPU } from '../model/fused-decoder';
import { XKV_NAMES } from '../model/xkv-attention';
import { OrtCandidateFinder } from './candidates';
import { readEmbeddingAhead } from './embedding-readahead';
import { warmUpSampler } from './sampler';
import { createSessionWithFallback, type SessionFactory } from './providers';
import { Turns } from './turns';
import { loadModelTokenizer } from '../tokenizer/model-tokenizer';

export const DEFAULT_CONTEXT = 32_768;

export interface LoadRequest {
  modelId: string;
  dir: string;
  /** 'auto' (default) or a provider name. */
  provider?: string;
  dtype?: string;
  contextLength?: number;
  /** Load even when the estimate says it will not fit. */
  ignoreMemoryCheck?: boolean;
  /** CPU threads for one model run (default: ONNX Runtime's, the physical cores). */
  threads?: number;
  /** A fixed number of tokens per prefill run (the decode benchmark measures several); by default it adapts to the depth (prefillChunkAt). */
  prefillChunk?: number;
}

export type { LoadedModelInfo };

interface Entry {
  info: LoadedModelInfo;
  /** What the caller asked for ('auto' or a name): a fallback to another provider must not cause a reload. */
  requestedProvider: string;
  model: GenerationModel;
  session: ort.InferenceSession;
  decoder: OrtDecoder | XkvDecoder;
  candidates: OrtCandidateFinder;
  queue: Promise<unknown>;
  /** One per queued or running generation: an unload aborts them all rather than waiting for them. */
  runs: Set<AbortController>;
}

export class ModelLoadError extends Error {
  constructor(
    readonly code: 'insufficient_memory' | 'model_invalid' | 'not_loaded',
    message: string,
  ) {
    super(message);
    this.name = 'ModelLoadError';
  }
}

/** A generation cancelled before its turn came (its caller stopped it, or the model was unloaded meanwhile). */
export class GenerationCancelledError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GenerationCancelledError';
  }
}

export interface ModelPoolOptions {
  sessionFactory?: SessionFactory;
  availableMemory?: () => number;
  /** How long a model keeps running while another model's generation waits (turns.ts; the bench compares slices). */
  turnSliceMs?: number;
}

export class ModelPool {
  private readonly entries = new Map<string, Entry>();
  /**
   * Per model, the tail of its loads and unloads: each waits for the one asked before it, so an unload during a load
   * unloads what that load made, and a load with other settings reloads instead of joining the earlier load.
   */
  private readonly lifecycle = new Map<string, Promise<unknown>>();
  /** Which model runs next while generations on several are under way (Compare). */
  private readonly turns: Turns;

  constructor(private readonly options: ModelPoolOptions = {}) {
    this.turns = new Turns(options.turnSliceMs);
  }

  list(): LoadedModelInfo[] {
    return [...this.entries.values()].map((e) => e.info);
  }

  load(request: LoadRequest): Promise<LoadedModelInfo> {
    return this.inOrder(request.modelId, async () => {
      const existing = this.entries.get(request.modelId);
      if (existing && sameLoad(existing, request)) return existing.info;
      if (existing) await this.unloadNow(request.modelId);
      return this.loadNow(request);
    });
  }

  unload(modelId: string): Promise<boolean> {
    return this.inOrder(modelId, () => this.unloadNow(modelId));
  }

  private inOrder<T>(modelId: string, step: () => Promise<T>): Promise<T> {
    const result = (this.lifecycle.get(modelId) ?? Promise.resolve()).then(step);
    const tail = result.catch(() => undefined); // a failed load must not block the next one
    this.lifecycle.set(modelId, tail);
    void tail.then(() => {
      if (this.lifecycle.get(modelId) === tail) this.lifecycle.delete(modelId);
    });
    return result;
  }

  private async loadNow(request: LoadRequest): Promise<LoadedModelInfo> {
    const started = performance.now();
    const folder = inspectModelFolder(request.dir);
    const gpu = request.provider !== undefined && request.provider !== 'auto' && request.provider !== 'cpu';
    const variant = pickVariant(folder, request.dtype, gpu);
    const contextLength = Math.min(request.contextLength ?? DEFAULT_CONTEXT, folder.shape.maxPositions);
    const kvBytes = variant.dtype.includes('16') ? 2 : 4;
    const reservedByOthers = this.list().reduce((sum, m) => sum + m.estimate.kvCacheBytes + m.estimate.activationBytes, 0);
    const available = (this.options.availableMemory ?? availableMemoryBytes)() - reservedByOthers;
    const estimate = estimateMemory(folder.shape, variant.bytes, contextLength, kvBytes, available);
    if (!estimate.fits && !request.ignoreMemoryCheck) {
      throw new ModelLoadError('insufficient_memory', refusalMessage(folder.name, estimate, contextLength));
    }
    const tokenizer = await loadModelTokenizer(folder.dir, folder.eosIds);
    // a growing graph's cache can stay on the GPU where the provider allows it (WebGPU; see sessionOptions)
    const choice = await createSessionWithFallback(variant.onnxPath, request.provider, { factory: this.options.sessionFactory, threads: request.threads, deviceOutputs: presentOutputs(variant) });
    // GPU providers copy every weight to the device while the session is created; on the CPU the embedding stays mapped
    if (choice.provider === 'cpu') await readEmbeddingAhead(variant.onnxPath);
    const turn = () => this.turns.take(request.modelId);
    const decoder = await decoderOrRelease(choice.session, folder.shape, { prefillChunk: request.prefillChunk, contextLength, turn, fusedPrefill: fusedPrefillOn(choice.provider) });
    const info: LoadedModelInfo = {
      modelId: request.modelId,
      dir: folder.dir,
      provider: choice.provider,
      dtype: variant.dtype,
      contextLength,
      threads: request.threads,
      fallbacks: choice.fallbacks,
      ...adviceFor(choice.provider, decoder),
      estimate,
      loadMs: Math.round(performance.now() - started),
    };
    const candidates = await OrtCandidateFinder.create(folder.shape.vocabSize);
    // best effort: a finder that fails here fails again, with its error reported, when a reply samples
    await warmUpSampler(folder.shape.vocabSize, candidates).catch(() => undefined);
    const model: GenerationModel = { decoder, tokenizer, provider: choice.provider, dtype: variant.dtype, contextLength, candidates };
    const requestedProvider = request.provider ?? 'auto';
    this.entries.set(request.modelId, { info, requestedProvider, model, session: choice.session, decoder, candidates, queue: Promise.resolve(), runs: new Set() });
    return info;
  }

  private async unloadNow(modelId: string): Promise<boolean> {
    const entry = this.entries.get(modelId);
    if (!entry) return false;
    this.entries.delete(modelId);
    // Generations on it stop now (a running one ends with what it has, queued ones never start), not after they finish.
    for (const run of entry.runs) run.abort(new GenerationCancelledError(`The model "${modelId}" was unloaded.`));
    await entry.queue.catch(() => undefined);
    entry.decoder.dispose();
    await entry.candidates.release();
    await entry.session.release();
    return true;
  }

  /**
   * Runs `fn` with the model once the generations queued before it on the same model are done. `fn` gets a signal
   * that fires when `signal` does or the model is unloaded. Aborted while still queued, the call rejects at once with
   * GenerationCancelledError and its turn is skipped; once running, `fn` decides how to stop.
   */
  run<T>(modelId: string, fn: (model: GenerationModel, info: LoadedModelInfo, signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const entry = this.entries.get(modelId);
    if (!entry) {
      return Promise.reject(new ModelLoadError('not_loaded', `Model "${modelId}" is not loaded: load it first.`));
    }
    const controller = new AbortController();
    const forward = () => controller.abort(new GenerationCancelledError('Cancelled before it started.'));
    if (signal?.aborted) forward();
    signal?.addEventListener('abort', forward, { once: true });
    entry.runs.add(controller);
    let started = false;
    // a stopped generation must not wait out another model's turn before it can notice the stop
    controller.signal.addEventListener('abort', () => started && this.turns.release(modelId), { once: true });
    const turn = entry.queue.catch(() => undefined).then(() => {
      if (controller.signal.aborted) throw controller.signal.reason as Error;
      started = true;
      return fn(entry.model, entry.info, controller.signal).finally(() => this.turns.leave(modelId));
    });
    entry.queue = turn;
    return new Promise<T>((resolve, reject) => {
      controller.signal.addEventListener('abort', () => !started && reject(controller.signal.reason as Error), { once: true });
      turn.then(resolve, reject);
    }).finally(() => {
      entry.runs.delete(controller);
      signal?.removeEventListener('abort', forward);
    });
  }
}

/**
 * The converter's default graph feeds the engine's KV cache in from JavaScript memory on every step: on the CPU that
 * is reading in place, on WebGPU a copy of the whole cache to the GPU. The portable graph's cache stays on the GPU
 * there (sessionOptions' deviceOutputs). Figures: `npm run bench -- gpu-decode` on an H200 (README, GPU).
 */
export const WEBGPU_EXTERNAL_CACHE =
  "On WebGPU this folder's graph copies its whole KV cache to the GPU on every token (about 9 tokens/s for a 1.5B after " +
  '1,000 tokens on an H200, against 93 with the cache kept on the GPU). Re-convert it with the portable graph to run it ' +
  'fast on WebGPU: Models → "Re-convert for WebGPU" on its row, or `distillery models reconvert <model> --portable`.';

export const CPU_GROWING_CACHE =
  "On the CPU this folder's graph copies its whole KV cache back on every token, so decode slows down as a thought " +
  `grows (with the portable graph: ${PORTABLE_ON_CPU}). Re-convert it for speed: Models → "Re-convert for speed" on ` +
  'its row, or `distillery models reconvert <model>`; for a folder from elsewhere, convert its checkpoint with Distillery.';

/** What to do about a graph that is slow where it runs: the cache crossing to the GPU, or a growing cache on the CPU. */
function adviceFor(provider: string, decoder: OrtDecoder | XkvDecoder): { advice?: string } {
  if (provider === 'webgpu' && decoder instanceof XkvDecoder) return { advice: WEBGPU_EXTERNAL_CACHE };
  if (provider === 'cpu' && decoder instanceof OrtDecoder) return { advice: CPU_GROWING_CACHE };
  return {};
}

/** The converter's graph keeps its cache in the engine's buffers (XkvDecoder); other folders grow it (OrtDecoder). */
export function decoderFor(session: ort.InferenceSession, shape: DecoderShape, options: OrtDecoderOptions & XkvDecoderOptions): OrtDecoder | XkvDecoder {
  return session.inputNames.includes(XKV_NAMES.past(0, 0, 'key')) ? new XkvDecoder(session, shape, options) : new OrtDecoder(session, shape, options);
}

/** The session is not in the pool yet: if it is not a usable decoder, nobody else would ever release it. */
async function decoderOrRelease(session: ort.InferenceSession, shape: DecoderShape, options: OrtDecoderOptions & XkvDecoderOptions): Promise<OrtDecoder | XkvDecoder> {
  try {
    return decoderFor(session, shape, options);
  } catch (err) {
    await session.release().catch(() => undefined); // the decoder's error is the one worth reporting
    throw err;
  }
}

function sameLoad(entry: Entry, request: LoadRequest): boolean {
  const { info } = entry;
  const provider = request.provider ?? 'auto';
  return (
    (provider === 'auto' || provider === entry.requestedProvider || provider === info.provider) &&
    (request.dtype === undefined || request.dtype === info.dtype) &&
    (request.threads === undefined || request.threads === info.threads) &&
    (request.contextLength === undefined || Math.min(request.contextLength, info.contextLength) === request.contextLength)
  );
}

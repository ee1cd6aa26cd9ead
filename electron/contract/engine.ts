/**
 * The one contract between the host (Electron main, `serve`, the CLI) and the engine process: every engine method
 * with a zod schema for its params, its result and each event it streams, as ./api.ts is for the renderer.
 * The engine's dispatcher validates params when a request arrives; the host validates results and events when they
 * come back, so a malformed answer from a buggy engine is a clear error naming the method, never a silent cast.
 * Handlers register against this table (electron/engine/registry.ts) and EngineHost.request/stream infer their types
 * from it. No Node or DOM imports here.
 */
import { z } from 'zod';
import { ConvertDtype, Manifest, SourceFile } from './convert';
import { trainMethods } from './engine-train';
import { GenerateTextEvent, GenerationResult, LoadedModelInfo, ThoughtClosed } from './generation';
import { GenerationSettings } from './inference';

export const ExecutionProviderInfo = z.object({
  name: z.string(), // cpu, cuda, webgpu, dml, coreml, ...
  available: z.boolean(),
  detail: z.string().optional(), // why it is unavailable, or how to enable it
});
export type ExecutionProviderInfo = z.infer<typeof ExecutionProviderInfo>;

export const EngineInfo = z.object({
  ortVersion: z.string(),
  executionProviders: z.array(ExecutionProviderInfo),
  platform: z.string(),
  arch: z.string(),
  cpuModel: z.string(),
  cpuCount: z.number().int(),
  totalMemoryBytes: z.number(),
  freeMemoryBytes: z.number(),
  nodeVersion: z.string(),
  pid: z.number().int(),
});
export type EngineInfo = z.infer<typeof EngineInfo>;

const NoParams = z.object({});
const ModelId = z.string().min(1).max(200);
const FolderPath = z.string().min(1).max(4096);

export const DiagnosticsParams = z.object({
  steps: z.number().int().min(1).max(100_000),
  stepMs: z.number().int().min(0).max(60_000),
  /** Steps already done before a pause: a resumed job continues after them. */
  fromStep: z.number().int().min(0).max(100_000).default(0),
});
export const DiagnosticsProgress = z.object({ step: z.number().int(), steps: z.number().int(), fraction: z.number().min(0).max(1) });
export type DiagnosticsProgress = z.infer<typeof DiagnosticsProgress>;
export const DiagnosticsResult = z.object({ steps: z.number().int(), elapsedMs: z.number() });
export type DiagnosticsResult = z.infer<typeof DiagnosticsResult>;

export const LoadParams = z.object({
  modelId: ModelId,
  dir: z.string().min(1),
  provider: z.string().optional(),
  dtype: z.string().optional(),
  contextLength: z.number().int().min(16).max(131_072).optional(),
  threads: z.number().int().min(1).max(256).optional(),
  ignoreMemoryCheck: z.boolean().optional(),
});

/**
 * The contract's sampling settings (one definition, so the limits cannot drift) without what the host resolves
 * itself (provider, dtype go into `load`), plus the engine-only knobs that the UI does not offer.
 */
export const GenerateOptions = GenerationSettings.omit({ provider: true, dtype: true }).extend({
  repetitionPenalty: z.number().min(0.5).max(5).optional(),
});
export const ChatTurn = z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.string() });

export const GenerateParams = z.object({
  modelId: ModelId,
  /** Loads the model first when it is not loaded yet. */
  load: LoadParams.omit({ modelId: true }).optional(),
  messages: z.array(ChatTurn).min(1),
  options: GenerateOptions.default({}),
});

/** What `generate.run` answers: the text, its stats and the model that wrote it. */
export const RunResult = GenerationResult.extend({ model: LoadedModelInfo });
export type RunResult = z.infer<typeof RunResult>;

export const ConvertParams = z.object({
  hfDir: FolderPath,
  outDir: FolderPath,
  dtype: ConvertDtype,
  blockSize: z.number().int().optional(),
  symmetric: z.boolean().optional(),
  accuracyLevel: z.number().int().optional(),
  quantizeEmbeddings: z.boolean().optional(),
  quantizeLmHead: z.boolean().optional(),
  /** The graph other runtimes (transformers.js) load too, instead of the one that keeps the KV cache in place. */
  portable: z.boolean().optional(),
  overwrite: z.boolean().optional(),
  /** A re-conversion: the source files (sha256) the folder was converted from; any difference refuses it. */
  expectSource: z.array(SourceFile).optional(),
});

/** Progress of a conversion: tensors and source bytes done out of the totals, with an ETA from the average rate. */
export const ConvertProgress = z.object({
  phase: z.enum(['checksum', 'convert', 'finish']),
  tensorsDone: z.number().int(),
  tensorsTotal: z.number().int(),
  bytesDone: z.number(),
  bytesTotal: z.number(),
  /** Fraction 0..1 of the current phase. */
  fraction: z.number(),
  elapsedMs: z.number(),
  /** Estimated ms left in this phase; absent until enough work is done to estimate. */
  etaMs: z.number().optional(),
});
export type ConvertProgress = z.infer<typeof ConvertProgress>;

export const ConvertJobResult = z.object({ outDir: z.string(), modelFile: z.string(), manifest: Manifest, seconds: z.number() });
export type ConvertJobResult = z.infer<typeof ConvertJobResult>;

/** One engine method: what it takes, what it answers, and the events it may stream before answering. */
export interface EngineMethodSpec {
  params: z.ZodType;
  result: z.ZodType;
  events?: Readonly<Record<string, z.ZodType>>;
}
export type EngineTable = Readonly<Record<string, EngineMethodSpec>>;

export const engineMethods = {
  /** ONNX Runtime version, execution providers and the machine's CPU and memory. */
  info: { params: NoParams, result: EngineInfo },
  /** Offline mode in the engine process. */
  'network.setOffline': {
    params: z.object({ offline: z.boolean() }),
    result: z.object({ offline: z.boolean(), attempts: z.number().int() }),
  },
  /** N steps of M ms with progress: proves the request/event/cancel plumbing (Settings › Diagnostics). */
  diagnostics: { params: DiagnosticsParams, result: DiagnosticsResult, events: { progress: DiagnosticsProgress } },
  'generate.load': { params: LoadParams, result: LoadedModelInfo },
  'generate.unload': { params: z.object({ modelId: ModelId }), result: z.object({ unloaded: z.boolean() }) },
  'generate.loaded': { params: NoParams, result: z.array(LoadedModelInfo) },
  /** Streams `text` per batch of tokens and `thought` once when `</think>` arrives. */
  'generate.run': { params: GenerateParams, result: RunResult, events: { text: GenerateTextEvent, thought: ThoughtClosed } },
  convert: { params: ConvertParams, result: ConvertJobResult, events: { progress: ConvertProgress } },
  ...trainMethods,
} as const satisfies EngineTable;

export type EngineMethods = typeof engineMethods;
export type EngineMethod = keyof EngineMethods;

type EventsOf<S extends EngineMethodSpec> = S extends { events: infer E extends Readonly<Record<string, z.ZodType>> } ? E : Record<never, never>;
/** The names of the events a method streams (never when it streams none). */
export type EngineEventName<S extends EngineMethodSpec> = keyof EventsOf<S> & string;
/** What a handler emits for event `K`, before validation. */
export type EngineEventInput<S extends EngineMethodSpec, K extends EngineEventName<S>> = z.input<EventsOf<S>[K]>;
/** One streamed event as the host hands it on: its name and its validated data, discriminated by name. */
export type EngineEvent<S extends EngineMethodSpec> = {
  [K in EngineEventName<S>]: { event: K; data: z.output<EventsOf<S>[K]> };
}[EngineEventName<S>];
export type EngineParamsInput<S extends EngineMethodSpec> = z.input<S['params']>;
export type EngineParams<S extends EngineMethodSpec> = z.output<S['params']>;
export type EngineResultInput<S extends EngineMethodSpec> = z.input<S['result']>;
export type EngineResult<S extends EngineMethodSpec> = z.output<S['result']>;

/** `path: message` for each issue: short enough for a log line, precise enough to find the bad field. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`).join('; ');
}

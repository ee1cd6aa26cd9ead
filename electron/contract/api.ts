/**
 * The one API contract between the renderer and the services (main process over IPC, or headless mode over HTTP).
 * Every method has a zod schema for its input and its output; every event a schema for its payload.
 * Both sides import this file, so it must stay free of Node and DOM imports.
 * Later features add methods here: the transports pick them up without changes.
 */
import { z } from 'zod';
import { chatFeaturesApi } from './chat';
import { ReconvertInput, StartConvertInput } from './convert';
import { finetuneApi, finetuneEvents } from './finetune';
import { filesApi, type PickPathInput, type PickPathResult } from './files';
import { downloadsApi, downloadsEvents } from './downloads';
import { inferenceApi, inferenceEvents } from './inference';
import { settingsApi } from './settings';
import { tracesApi } from './traces';

export const ExecutionProviderInfo = z.object({
  name: z.string(), // cpu, cuda, webgpu, dml, coreml, ...
  available: z.boolean(),
  detail: z.string().optional(), // why it is unavailable, or how to enable it
});

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

export const EngineState = z.enum(['starting', 'ready', 'crashed', 'restarting', 'stopped']);
export const EngineStatus = z.object({
  state: EngineState,
  pid: z.number().int().optional(),
  restarts: z.number().int(),
  lastError: z.string().optional(), // e.g. "engine exited with signal SIGKILL"
  since: z.number(), // ms epoch
});
export type EngineStatus = z.infer<typeof EngineStatus>;

export const JobKind = z.enum(['diagnostics', 'convert', 'train', 'download', 'vote']);
/** `paused`: stopped by the user, resumable; `interrupted`: stopped by a crash or quit (resumable where the kind allows). */
export const JobState = z.enum(['queued', 'running', 'paused', 'succeeded', 'failed', 'cancelled', 'interrupted']);
export const Job = z.object({
  id: z.string(),
  kind: JobKind,
  state: JobState,
  title: z.string(),
  progress: z.number().min(0).max(1), // fraction done
  message: z.string().optional(), // what it is doing now, or the error in words a user can act on
  etaSeconds: z.number().optional(),
  /** It runs now and a pause keeps its work (jobs.pause). */
  pausable: z.boolean(),
  /** It is paused or interrupted and jobs.resume continues it. */
  resumable: z.boolean(),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type Job = z.infer<typeof Job>;

export const AppInfo = z.object({
  version: z.string(),
  dataDir: z.string(),
  /** The log file: engine crashes (exit code or signal, the request in flight, its last output) and server errors. */
  logFile: z.string(),
  transport: z.enum(['ipc', 'http']),
});
export type AppInfo = z.infer<typeof AppInfo>;

/** The end of the log file, for Settings (the file itself may be far larger). */
export const AppLog = z.object({ file: z.string(), text: z.string(), truncated: z.boolean() });
export type AppLog = z.infer<typeof AppLog>;

const Empty = z.object({}).strict();
const JobRef = z.object({ jobId: z.string().min(1).max(100) }).strict();

export const api = {
  'app.info': { input: Empty, output: AppInfo },
  'app.log': { input: Empty, output: AppLog },
  'engine.info': { input: Empty, output: EngineInfo },
  'engine.status': { input: Empty, output: EngineStatus },
  'engine.restart': { input: Empty, output: EngineStatus },
  'jobs.list': { input: Empty, output: z.array(Job) },
  'jobs.startDiagnostics': {
    input: z.object({ steps: z.number().int().min(1).max(100_000), stepMs: z.number().int().min(1).max(60_000) }).strict(),
    output: Job,
  },
  'jobs.cancel': { input: JobRef, output: Job },
  'jobs.pause': { input: JobRef, output: Job },
  'jobs.resume': { input: JobRef, output: Job },
  /** Converts a Hugging Face checkpoint folder as a job; see ./convert.ts. */
  'jobs.startConvert': { input: StartConvertInput, output: Job },
  /**
   * Re-converts a model whose folder predates the fused graph from its recorded checkpoint (sha256-verified first),
   * as a convert job that replaces the folder only when it succeeds (the model is unloaded first; its id, name,
   * settings and chats stay). Refused, with the reason, when `speedUpgrade` is not `available`.
   */
  'models.reconvert': { input: ReconvertInput, output: Job },
  ...inferenceApi,
  ...chatFeaturesApi,
  ...filesApi,
  ...settingsApi,
  ...tracesApi,
  ...finetuneApi,
  ...downloadsApi,
} as const;

export const events = {
  'engine.status': EngineStatus,
  'job.update': Job,
  ...inferenceEvents,
  ...finetuneEvents,
  ...downloadsEvents,
} as const;

export type ApiMethod = keyof typeof api;
export type ApiInput<M extends ApiMethod> = z.input<(typeof api)[M]['input']>;
export type ApiOutput<M extends ApiMethod> = z.output<(typeof api)[M]['output']>;
export type EventName = keyof typeof events;
export type EventPayload<E extends EventName> = z.output<(typeof events)[E]>;

export function isApiMethod(name: unknown): name is ApiMethod {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(api, name);
}
export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(events, name);
}

/** What the renderer sees, whichever transport carries it (window.distillery in Electron, HTTP+SSE in a browser). */
export interface DistilleryApi {
  call<M extends ApiMethod>(method: M, input: ApiInput<M>): Promise<ApiOutput<M>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
  /** The native file/folder dialog: only in the desktop app (headless mode browses with `files.browse`). */
  pickPath?(input: PickPathInput): Promise<PickPathResult>;
}

/** Errors cross the boundary as data; `code` lets the UI choose what to show. */
export const ApiErrorBody = z.object({
  error: z.object({ code: z.string(), message: z.string() }),
});
export type ApiErrorBody = z.infer<typeof ApiErrorBody>;

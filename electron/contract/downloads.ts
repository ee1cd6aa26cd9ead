/**
 * The downloads part of the API contract: the catalog of R1 distills with a fit verdict for this machine, downloads
 * from the Hugging Face hub as jobs (progress, pause, resume, cancel through jobs.*), their follow-on conversion,
 * disk usage, removing a model with or without its files, the hub token and Offline mode. Spread into `api` and
 * `events` in ./api.ts. No Node or DOM imports here (the renderer imports it).
 */
import { z } from 'zod';
import { ConvertDtype } from './convert';

const RepoId = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,95}\/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/, { message: 'must be a Hugging Face repository id: org/name, e.g. deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B' })
  .refine((s) => !s.includes('..'), { message: 'must not contain ".."' });
const Revision = z.string().trim().min(1).max(200).regex(/^[\w.\-/]+$/, { message: 'must be a branch, tag or commit' }).refine((s) => !s.split('/').includes('..'), { message: 'must not contain ".."' });

export const FitVerdict = z.enum(['gpu', 'cpu', 'none']);
export type FitVerdict = z.infer<typeof FitVerdict>;

export const DtypeFit = z.object({
  dtype: ConvertDtype,
  verdict: FitVerdict,
  weightsBytes: z.number(),
  kvCacheBytes: z.number(),
  overheadBytes: z.number(),
  totalBytes: z.number(),
  downloadBytes: z.number(),
  diskBytes: z.number(),
  diskOk: z.boolean().optional(),
  summary: z.string(),
});
export type DtypeFit = z.infer<typeof DtypeFit>;

export const MachineInfo = z.object({
  totalMemoryBytes: z.number(),
  availableMemoryBytes: z.number(),
  disks: z.array(z.object({ role: z.enum(['hub-cache', 'models']), path: z.string(), freeBytes: z.number().optional() })),
  /** Absent: unknown (no nvidia-smi). */
  gpus: z.array(z.object({ name: z.string(), memoryBytes: z.number(), freeBytes: z.number().optional() })).optional(),
  gpuNote: z.string(),
  providers: z.array(z.string()),
});
export type MachineInfo = z.infer<typeof MachineInfo>;

export const CatalogSource = z.object({ kind: z.enum(['safetensors', 'onnx']), repo: z.string(), note: z.string() });

export const CatalogItem = z.object({
  /** The catalog id (qwen-1.5b…) or, for a repo the user typed, the repo id. */
  id: z.string(),
  name: z.string(),
  family: z.string(),
  sources: z.array(CatalogSource),
  parameters: z.number(),
  contextLength: z.number(),
  /** The context the fit verdicts were computed for. */
  fitContext: z.number(),
  license: z.string(),
  goodFor: z.string(),
  recommended: z.object({ temperature: z.number(), topP: z.number(), maxTokens: z.number(), systemPrompt: z.boolean(), note: z.string() }),
  fits: z.array(DtypeFit),
  recommendedDtype: ConvertDtype,
  /** The official checkpoint is complete in the Hugging Face cache (downloaded here or by another tool). */
  inCache: z.boolean(),
  /** Models in the list that came from this entry. */
  modelIds: z.array(z.string()),
  /** Not in the catalog: a repo id the user typed. */
  custom: z.boolean(),
});
export type CatalogItem = z.infer<typeof CatalogItem>;

export const CatalogList = z.object({ machine: MachineInfo, offline: z.boolean(), items: z.array(CatalogItem) });
export type CatalogList = z.infer<typeof CatalogList>;

export const StartDownloadInput = z
  .object({
    repo: RepoId,
    revision: Revision.default('main'),
    /** Converted to this precision (a checkpoint) or fetched in it (a ready ONNX repo); default: the fit's recommendation. */
    dtype: ConvertDtype.optional(),
    /** A checkpoint continues into conversion and the model is added to the list (default true). */
    convert: z.boolean().default(true),
  })
  .strict();
export type StartDownloadInput = z.input<typeof StartDownloadInput>;
export type StartDownloadParams = z.output<typeof StartDownloadInput>;

export const FileProgress = z.object({ path: z.string(), size: z.number(), done: z.number(), state: z.enum(['waiting', 'downloading', 'verifying', 'done', 'cached']) });
export const DownloadProgress = z.object({
  jobId: z.string(),
  repo: z.string(),
  files: z.array(FileProgress),
  bytesDone: z.number(),
  bytesTotal: z.number(),
  bytesPerSecond: z.number(),
  etaSeconds: z.number().optional(),
});
export type DownloadProgress = z.infer<typeof DownloadProgress>;

export const ModelUsage = z.object({ modelId: z.string(), modelBytes: z.number(), checkpointBytes: z.number(), totalBytes: z.number() });
export const DiskUsage = z.object({ models: z.array(ModelUsage), totalBytes: z.number(), hubCacheDir: z.string(), modelsDir: z.string() });
export type DiskUsage = z.infer<typeof DiskUsage>;

export const RemoveModelInput = z.object({ modelId: z.string().min(1).max(200), withFiles: z.boolean() }).strict();
export const RemoveModelResult = z.object({
  removed: z.boolean(),
  freedBytes: z.number(),
  deleted: z.array(z.string()),
  /** Files kept because another tool wrote them or another snapshot still uses them. */
  kept: z.array(z.string()),
});
export type RemoveModelResult = z.infer<typeof RemoveModelResult>;

export const HubSettings = z.object({
  offline: z.boolean(),
  hubUrl: z.string(),
  hubCacheDir: z.string(),
  /** Where the token comes from: none, the HF_TOKEN variable, or the OS keychain (desktop app). */
  token: z.enum(['none', 'env', 'keychain']),
  /** The desktop app can keep a token in the OS keychain; headless mode reads HF_TOKEN. */
  canStoreToken: z.boolean(),
});
export type HubSettings = z.infer<typeof HubSettings>;

const Empty = z.object({}).strict();

export const downloadsApi = {
  /** The six distills (filtered by `query`) with fit verdicts at `context` tokens; offline: only what is on disk. */
  'catalog.list': { input: z.object({ query: z.string().max(200).optional(), context: z.number().int().min(256).max(131072).optional() }).strict(), output: CatalogList },
  /** Any org/name repo (a Qwen2 or Llama checkpoint): reads its config.json from the hub for sizes and fit. */
  'catalog.lookup': { input: z.object({ repo: RepoId, context: z.number().int().min(256).max(131072).optional() }).strict(), output: CatalogItem },
  'downloads.start': { input: StartDownloadInput, output: z.object({ jobId: z.string() }) },
  /** The latest per-file progress of the downloads running now. */
  'downloads.progress': { input: Empty, output: z.array(DownloadProgress) },
  'downloads.usage': { input: Empty, output: DiskUsage },
  'downloads.removeModel': { input: RemoveModelInput, output: RemoveModelResult },
  'downloads.settings': { input: Empty, output: HubSettings },
  'downloads.setOffline': { input: z.object({ offline: z.boolean() }).strict(), output: HubSettings },
  /** Stores (or with null forgets) the hub token in the OS keychain; desktop app only. */
  'downloads.setToken': { input: z.object({ token: z.string().trim().max(400).nullable() }).strict(), output: HubSettings },
} as const;

export const downloadsEvents = {
  'download.progress': DownloadProgress,
} as const;

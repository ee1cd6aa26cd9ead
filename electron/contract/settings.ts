/**
 * The settings part of the API contract: the execution provider, for every model (Settings screen) and per model
 * (Models screen). Spread into `api` in ./api.ts. No Node or DOM imports here (the renderer imports it).
 */
import { z } from 'zod';
import { ModelInfo, ProviderChoice } from './inference';

export const InferenceSettings = z.object({
  /** Provider used when a model has no override and the load call names none; 'auto' picks the best available. */
  provider: ProviderChoice,
  /** CPU threads per model run; 0 = automatic (one per physical core). Takes effect at the next load. */
  threads: z.number().int().min(0).max(256),
});
export type InferenceSettings = z.infer<typeof InferenceSettings>;

export const AppSettings = z.object({ inference: InferenceSettings });
export type AppSettings = z.infer<typeof AppSettings>;

export const SetProviderInput = z
  .object({
    provider: ProviderChoice,
    /** Set this model's override instead of the default; 'auto' clears the override (the default applies). */
    modelId: z.string().min(1).max(200).optional(),
  })
  .strict();
export type SetProviderInput = z.infer<typeof SetProviderInput>;

export const SetProviderResult = z.object({
  settings: AppSettings,
  /** The model as it is now (with its `providerOverride`), when a model's override was set. */
  model: ModelInfo.optional(),
});
export type SetProviderResult = z.infer<typeof SetProviderResult>;

export const SetThreadsInput = z.object({ threads: z.number().int().min(0).max(256) }).strict();
export type SetThreadsInput = z.infer<typeof SetThreadsInput>;

const Empty = z.object({}).strict();

export const settingsApi = {
  'settings.get': { input: Empty, output: AppSettings },
  /** Takes effect at the next load of a model (a loaded model keeps running where it is). */
  'settings.setProvider': { input: SetProviderInput, output: SetProviderResult },
  /** CPU threads for every model (0 = one per physical core); takes effect at the next load. */
  'settings.setThreads': { input: SetThreadsInput, output: AppSettings },
} as const;

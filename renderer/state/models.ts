/**
 * Pure logic of the Models screen and the model pickers: names, what runs (provider + dtype + fallbacks), and keeping
 * the list in step with load/unload results.
 */
import type { LoadedModel, ModelInfo } from '../../electron/contract/inference';
import { formatBytes } from './format';

/** "qwen2 · fp32, int4 · 1.2 GB" */
export function modelSummary(model: ModelInfo): string {
  return [model.arch, model.dtypes.join(', '), formatBytes(model.sizeBytes)].join(' · ');
}

/** What actually runs: "cpu · fp32". */
export function runningLabel(loaded: LoadedModel | undefined): string | undefined {
  return loaded ? `${loaded.provider} · ${loaded.dtype}` : undefined;
}

/** One sentence per better provider that was skipped, as the engine words it ("cuda not used: …"). */
export function skippedProviderNotes(loaded: LoadedModel | undefined): string[] {
  return (loaded?.fallbacks ?? []).map((f) => `${f.provider} not used: ${f.reason}`);
}

/** The skipped providers' notes, then the load's advice. */
export function fallbackNotes(loaded: LoadedModel | undefined): string[] {
  const skipped = skippedProviderNotes(loaded);
  return loaded?.advice ? [...skipped, loaded.advice] : skipped;
}

/**
 * The notes under a Models row: its fallback notes, without the load's advice (re-convert for where it runs: WebGPU,
 * or the CPU for a growing cache) where the row's own re-convert offer, offered or running, says the same with a button.
 */
export function modelRowNotes(model: ModelInfo): string[] {
  const upgrade = model.speedUpgrade;
  const offered = upgrade?.state === 'running' || upgrade?.state === 'available';
  return offered ? skippedProviderNotes(model.loaded) : fallbackNotes(model.loaded);
}

/** Puts a load result into the list. */
export function withLoaded(models: ModelInfo[], loaded: LoadedModel): ModelInfo[] {
  return models.map((m) => (m.id === loaded.modelId ? { ...m, loaded } : m));
}

export function withUnloaded(models: ModelInfo[], modelId: string): ModelInfo[] {
  return models.map((m) => {
    if (m.id !== modelId) return m;
    const { loaded: _loaded, ...rest } = m;
    return rest;
  });
}

/** The model to preselect: the one asked for if it still exists, else a loaded one, else the first. */
export function pickModelId(models: ModelInfo[], wanted: string | undefined | null): string | undefined {
  if (wanted && models.some((m) => m.id === wanted)) return wanted;
  return (models.find((m) => m.loaded) ?? models[0])?.id;
}

/** The second model for Compare: a different model than `first` when there is one. */
export function pickSecondModelId(models: ModelInfo[], first: string | undefined, wanted: string | undefined | null): string | undefined {
  if (wanted && models.some((m) => m.id === wanted)) return wanted;
  return (models.find((m) => m.id !== first) ?? models[0])?.id;
}

export function modelName(models: ModelInfo[], modelId: string | undefined): string {
  return models.find((m) => m.id === modelId)?.name ?? 'unknown model';
}

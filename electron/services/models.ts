/**
 * models.* methods: the registry of model folders (validated when added and again at load) and loading them in the
 * engine. What runs (provider, dtype, fallbacks) is remembered per model while the engine lives.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ProviderChoice, type LoadedModel, type ModelInfo } from '../contract/inference';
import { MANIFEST_FILE, readManifest } from '../convert/manifest';
import type { EngineMethods, EngineParamsInput } from '../contract/engine';
import type { LoadedModelInfo } from '../contract/generation';
import { inspectModelFolder, ModelFolderError, pickVariant, type ModelFolderInfo } from '../generate/model-files';
import { scanModelWeights } from '../generate/weights-scan';
import type { ModelRecord } from '../store';
import { checkTokenizerFiles } from '../tokenizer/model-tokenizer';
import { perServices, type ServiceContext, type ServiceModule } from './context';
import { ApiError } from './errors';
import { convertedManifest, convertedWith, speedUpgradeOf } from './speed-upgrade';
import { knownWorkingProviders, lastWorkingProviders } from './working-providers';

/** Settings keys: the default provider (Settings screen) and per-model overrides. */
export const PROVIDER_SETTING = 'inference.provider';
/** CPU threads per model run (absent: ONNX Runtime's default, one per physical core). */
export const THREADS_SETTING = 'inference.threads';
export const modelProviderSetting = (modelId: string) => `models.${modelId}.provider`;

/** What `generate.run` loads a model with (the engine contract's load params, less the model id). */
export type EngineLoadParams = NonNullable<EngineParamsInput<EngineMethods['generate.run']>['load']>;

const LOAD_TIMEOUT_MS = 15 * 60_000;

/** Written by the merge (electron/train/merge-folder.ts) into a fine-tuned model's folder. */
export const DERIVED_FILE = 'distillery_derived.json';

export interface DerivedInfo {
  baseFolder: string;
  adapter?: string;
}

/** The base folder and adapter a merged model records; undefined when the file is absent or unreadable. */
export function readDerivedInfo(dir: string): DerivedInfo | undefined {
  try {
    const raw = JSON.parse(fs.readFileSync(path.join(dir, DERIVED_FILE), 'utf8')) as { base?: unknown; adapter?: unknown };
    if (typeof raw.base !== 'string' || !raw.base) return undefined;
    return { baseFolder: raw.base, ...(typeof raw.adapter === 'string' && raw.adapter ? { adapter: raw.adapter } : {}) };
  } catch {
    return undefined; // a missing or damaged note only loses the "fine-tuned from" link, never the model
  }
}

/** One spelling per folder, so /tmp/x and its symlinked real path compare equal. */
function sameFolder(a: string, b: string): boolean {
  const canonical = (p: string) => {
    try {
      return fs.realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  return canonical(a) === canonical(b);
}

/** The Hugging Face folders a registered model was converted from: the record's origin and its manifest's source. */
export function sourceFolders(r: ModelRecord): string[] {
  const folders: string[] = [];
  if (typeof r.manifest?.convertedFrom === 'string') folders.push(r.manifest.convertedFrom);
  try {
    const manifest = JSON.parse(fs.readFileSync(path.join(r.path, MANIFEST_FILE), 'utf8')) as { source?: { folder?: unknown } };
    if (typeof manifest.source?.folder === 'string') folders.push(manifest.source.folder);
  } catch {
    // imported models have no manifest
  }
  return folders;
}

/**
 * Validates a folder the way `models.add` does; ApiError 'model_invalid' names the missing or corrupt file.
 * `weights`: read every float weight for NaN and infinity (seconds per gigabyte, so only when a folder is added).
 */
export async function validateModelFolder(dir: string, options: { tokenizer?: boolean; weights?: boolean } = {}): Promise<ModelFolderInfo> {
  let info: ModelFolderInfo;
  try {
    info = inspectModelFolder(dir);
    if (options.weights) await scanModelWeights(info.variants);
  } catch (err) {
    if (err instanceof ModelFolderError) throw new ApiError('model_invalid', err.message);
    throw err;
  }
  // Loading a tokenizer takes a moment: done when a model is added, not again before every load.
  if (options.tokenizer) {
    await checkTokenizerFiles(info.dir).catch((err: Error) => {
      throw new ApiError('model_invalid', err.message);
    });
  }
  if (fs.existsSync(path.join(info.dir, MANIFEST_FILE))) {
    try {
      const manifest = await readManifest(info.dir);
      if (!info.variants.some((v) => path.relative(info.dir, v.onnxPath) === manifest.modelFile)) {
        throw new Error(`${MANIFEST_FILE} names ${manifest.modelFile}, which is missing. Convert the model again.`);
      }
    } catch (err) {
      throw new ApiError('model_invalid', (err as Error).message);
    }
  }
  return info;
}

export function modelsRegistry(ctx: ServiceContext) {
  const loaded = new Map<string, LoadedModel>();
  /** Models being re-converted for speed (model id → job id). */
  const reconverting = new Map<string, string>();
  const unsubscribe = ctx.engine.onStatus((status) => {
    if (status.state !== 'ready') loaded.clear(); // a restarted engine has nothing loaded
    // asked now, while the engine is idle, so that the first Models list does not wait for it
    else void knownWorkingProviders(ctx);
  });

  const record = (modelId: string): ModelRecord => {
    const found = ctx.store.models.get(modelId);
    if (!found) throw new ApiError('not_found', `There is no model with id ${modelId}. Add it first (models add <folder>).`);
    return found;
  };

  const providerOverride = (modelId: string) => {
    const parsed = ProviderChoice.exclude(['auto']).safeParse(ctx.store.settings.get(modelProviderSetting(modelId)));
    return parsed.success ? parsed.data : undefined;
  };

  /** The provider a load asks for when the call names none: the model's own choice, else Settings'. */
  const requestedProvider = (modelId: string): string | undefined =>
    ctx.store.settings.get<string>(modelProviderSetting(modelId)) ?? ctx.store.settings.get<string>(PROVIDER_SETTING);

  /**
   * Where a model runs (loaded), or will run when loaded: the provider it asks for where the engine said that one
   * starts here, the CPU always (a model set to WebGPU on a machine where WebGPU does not start runs on the CPU;
   * undefined while the engine has not said). The re-convert offer depends on it: callers that show it ask first (`knowProviders`).
   */
  const runsOn = (modelId: string): string | undefined => {
    const now = loaded.get(modelId)?.provider;
    if (now) return now;
    const requested = requestedProvider(modelId);
    return requested && (requested === 'cpu' || lastWorkingProviders(ctx)?.includes(requested)) ? requested : undefined;
  };

  /** Asks the engine which providers start here, once (bounded wait), so that toInfo's offers can depend on it. */
  const knowProviders = async (): Promise<void> => {
    await knownWorkingProviders(ctx);
  };

  /** The first registered model converted from `baseFolder`, if any. */
  const findBase = (baseFolder: string): ModelRecord | undefined =>
    ctx.store.models.list().find((r) => sourceFolders(r).some((folder) => sameFolder(folder, baseFolder)));

  const toInfo = (r: ModelRecord): ModelInfo => {
    const dtypes = Array.isArray(r.manifest?.dtypes) ? (r.manifest.dtypes as string[]) : [r.dtype];
    const info: ModelInfo = {
      id: r.id, name: r.name, path: r.path, arch: r.arch, dtype: r.dtype, dtypes,
      sizeBytes: r.sizeBytes, source: r.source, addedAt: r.addedAt,
    };
    if (r.derivedFrom) info.derivedFrom = r.derivedFrom;
    const derived = r.manifest?.derived as DerivedInfo | undefined;
    if (derived?.baseFolder) info.baseFolder = derived.baseFolder;
    if (derived?.adapter) info.adapter = derived.adapter;
    const baseName = (r.derivedFrom && ctx.store.models.get(r.derivedFrom)?.name) || (derived?.baseFolder && path.basename(derived.baseFolder));
    if (baseName) info.baseName = baseName;
    const override = providerOverride(r.id);
    if (override) info.providerOverride = override;
    const now = loaded.get(r.id);
    if (now) info.loaded = now;
    const manifest = convertedManifest(r);
    if (manifest) {
      info.convertedWith = convertedWith(manifest);
      const upgrade = speedUpgradeOf(r, manifest, reconverting.get(r.id), runsOn(r.id));
      if (upgrade) info.speedUpgrade = upgrade;
    }
    return info;
  };

  /** Process-wide load defaults that win over the stored settings (`distillery serve --threads`). */
  const defaults: { threads?: number } = {};

  /** What the engine needs to (re)load a model: folder, and provider from the call, the model or Settings. */
  const loadParams = (modelId: string, overrides: { provider?: string; dtype?: string; contextLength?: number; threads?: number } = {}): EngineLoadParams => {
    const r = record(modelId);
    const provider = overrides.provider ?? requestedProvider(modelId);
    const params: EngineLoadParams = { dir: r.path };
    if (provider) params.provider = provider;
    if (overrides.dtype) params.dtype = overrides.dtype;
    if (overrides.contextLength) params.contextLength = overrides.contextLength;
    const threads = overrides.threads ?? defaults.threads ?? ctx.store.settings.get<number>(THREADS_SETTING);
    if (threads) params.threads = threads;
    return params;
  };

  const remember = (info: LoadedModelInfo): LoadedModel => {
    const summary: LoadedModel = {
      modelId: info.modelId,
      provider: info.provider,
      dtype: info.dtype,
      contextLength: info.contextLength,
      fallbacks: info.fallbacks,
      ...(info.advice ? { advice: info.advice } : {}),
      estimatedBytes: info.estimate.totalBytes,
      loadMs: info.loadMs,
    };
    loaded.set(info.modelId, summary);
    return summary;
  };

  /** `origin`: the registered model it derives from (a model id), or the checkpoint folder it was converted from. */
  const add = async (folder: string, name?: string, origin: { derivedFrom?: string; convertedFrom?: string } = {}): Promise<ModelInfo> => {
    // the converter checked every source weight and narrows by saturating: its own output needs no second read
    const info = await validateModelFolder(folder, { tokenizer: true, weights: !origin.convertedFrom });
    const existing = ctx.store.models.getByPath(info.dir);
    if (existing) {
      // The folder may have changed since (a forced conversion replaced it): keep the record, refresh what it holds.
      const manifest = { ...existing.manifest, dtypes: info.variants.map((v) => v.dtype), shape: { ...info.shape } };
      return toInfo(ctx.store.models.update(existing.id, { sizeBytes: info.variants.reduce((sum, v) => sum + v.bytes, 0), manifest }) ?? existing);
    }
    const best = pickVariant(info, undefined, false);
    const derived = readDerivedInfo(info.dir);
    const derivedFrom = origin.derivedFrom ?? (derived ? findBase(derived.baseFolder)?.id : undefined);
    const created = ctx.store.models.add({
      name: name ?? info.name,
      path: info.dir,
      arch: info.shape.arch,
      dtype: best.dtype,
      sizeBytes: info.variants.reduce((sum, v) => sum + v.bytes, 0),
      source: derived ? 'fine-tuned' : fs.existsSync(path.join(info.dir, MANIFEST_FILE)) ? 'converted' : 'imported',
      manifest: {
        dtypes: info.variants.map((v) => v.dtype),
        shape: { ...info.shape },
        ...(origin.convertedFrom ? { convertedFrom: origin.convertedFrom } : {}),
        ...(derived ? { derived: { ...derived } } : {}),
      },
      ...(derivedFrom ? { derivedFrom } : {}),
    });
    return toInfo(created);
  };

  const load = async (modelId: string, overrides: { provider?: string; dtype?: string; contextLength?: number; threads?: number } = {}) => {
    const params = loadParams(modelId, overrides);
    await validateModelFolder(params.dir); // files may have changed since they were added
    const info = await ctx.engine.request('generate.load', { modelId, ...params }, { timeoutMs: LOAD_TIMEOUT_MS });
    return remember(info);
  };

  const unload = async (modelId: string) => {
    loaded.delete(modelId);
    return ctx.engine.request('generate.unload', { modelId });
  };

  return { record, toInfo, providerOverride, runsOn, knowProviders, loadParams, remember, add, load, unload, loaded, reconverting, defaults, dispose: unsubscribe };
}

export type ModelsRegistry = ReturnType<typeof modelsRegistry>;

/** One registry per services instance, shared by the models and chats modules. */
export const registryFor: (ctx: ServiceContext) => ModelsRegistry = perServices(modelsRegistry);

export const modelsService: ServiceModule = (ctx) => {
  const registry = registryFor(ctx);
  return {
    handlers: {
      'models.list': async () => {
        await registry.knowProviders();
        return ctx.store.models.list().map(registry.toInfo);
      },
      'models.add': ({ path: folder, name }) => registry.add(folder, name),
      'models.remove': async ({ modelId }) => {
        registry.record(modelId);
        // ask the engine itself, not `loaded`: a model loaded by a generation that then failed is only known there.
        // An engine that is not ready has nothing loaded (a new process starts empty).
        if (ctx.engine.status().state === 'ready') await registry.unload(modelId).catch(() => undefined);
        registry.loaded.delete(modelId);
        ctx.store.settings.remove(modelProviderSetting(modelId));
        return { removed: ctx.store.models.remove(modelId) };
      },
      'models.load': ({ modelId, ...overrides }) => registry.load(modelId, overrides),
      'models.unload': ({ modelId }) => registry.unload(modelId),
    },
    dispose: registry.dispose,
  };
};

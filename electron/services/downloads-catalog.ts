/**
 * The catalog as the Models screen and `distillery fit` show it: each distill (or a repo the user typed) with its
 * sizes, a fit verdict per precision for this machine, the recommended precision, and what is already on disk.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CatalogItem, CatalogList } from '../contract/downloads';
import { catalogEntries, findCatalogEntry, searchCatalog, type CatalogEntry } from '../downloads/catalog';
import { DownloadError } from '../downloads/errors';
import { fitModel } from '../downloads/fit';
import { checkRepoId, readRef, repoCache, snapshotDir } from '../downloads/hub-cache';
import { openFileStream, resolveCommit, type HubOptions } from '../downloads/hub-client';
import { probeMachine, type MachineInfo } from '../downloads/machine';
import { modelSizes } from '../downloads/sizes';
import { ConfigError } from '../model/config';
import type { ServiceContext } from './context';
import { ApiError } from './errors';
import { cacheDirFor, hubOptionsFor, isOffline } from './downloads-hub';
import { downloadsRepo } from './downloads-records';
import { readSettings } from './settings';
import { workingProviders } from './working-providers';

const MACHINE_TTL_MS = 10_000;
const machines = new WeakMap<ServiceContext, { at: number; info: MachineInfo }>();

/** RAM, disks, GPUs and working providers; re-probed at most every MACHINE_TTL_MS. */
export async function machineFor(ctx: ServiceContext): Promise<MachineInfo> {
  const cached = machines.get(ctx);
  if (cached && Date.now() - cached.at < MACHINE_TTL_MS) return cached.info;
  const info = await probeMachine({ hubCacheDir: cacheDirFor(), modelsDir: ctx.paths.models, providers: await workingProviders(ctx) });
  machines.set(ctx, { at: Date.now(), info });
  return info;
}

/** The snapshot of `repo` in the cache that refs/main points to, when its config.json is there. */
export function cachedSnapshot(repo: string, cacheDir = cacheDirFor()): string | undefined {
  const rc = repoCache(cacheDir, repo);
  const commit = readRef(rc, 'main');
  const dir = commit && snapshotDir(rc, commit);
  return dir && fs.existsSync(path.join(dir, 'config.json')) ? dir : undefined;
}

export function catalogItem(ctx: ServiceContext, entry: CatalogEntry, machine: MachineInfo, context: number, custom = false): CatalogItem {
  const sizes = modelSizes(entry.config, `${entry.sources[0].repo}/config.json`);
  const fitContext = Math.min(context, entry.contextLength);
  const { fits: computed, recommended } = fitModel(sizes, machine, { contextLength: fitContext, sourceKind: entry.sources[0].kind, providerChoice: readSettings(ctx).inference.provider });
  const repos = new Set(entry.sources.map((s) => s.repo.toLowerCase()));
  const downloads = downloadsRepo(ctx).list();
  const modelIds = downloads.filter((d) => repos.has(d.repo.toLowerCase()) && d.modelId).map((d) => d.modelId!);
  // Once the hub's listing of the checkpoint is known (a download planned it), its sizes replace the computed ones.
  const listed = entry.sources[0].kind === 'safetensors' ? downloads.filter((d) => d.repo.toLowerCase() === entry.sources[0].repo.toLowerCase()).at(-1) : undefined;
  const listedBytes = listed?.files.reduce((sum, f) => sum + f.size, 0);
  const fits = listedBytes ? computed.map((f) => ({ ...f, downloadBytes: listedBytes, diskBytes: listedBytes + f.weightsBytes })) : computed;
  return {
    id: entry.id, name: entry.name, family: entry.family, sources: entry.sources, parameters: sizes.parameters,
    contextLength: entry.contextLength, fitContext, license: entry.license, goodFor: entry.goodFor, recommended: entry.recommended,
    fits, recommendedDtype: recommended,
    inCache: entry.sources.some((s) => cachedSnapshot(s.repo) !== undefined),
    modelIds: [...new Set(modelIds.filter((id) => ctx.store.models.get(id)))],
    custom,
  };
}

export async function listCatalog(ctx: ServiceContext, query = '', context?: number): Promise<CatalogList> {
  const machine = await machineFor(ctx);
  const offline = isOffline(ctx);
  const items = searchCatalog(query)
    .map((entry) => catalogItem(ctx, entry, machine, context ?? entry.defaultContext))
    .filter((item) => !offline || item.inCache || item.modelIds.length > 0);
  return { machine, offline, items };
}

/** A repo the user typed: the catalog's entry, or its config.json from the cache or the hub. */
export async function lookupRepo(ctx: ServiceContext, repo: string, context?: number): Promise<CatalogItem> {
  const machine = await machineFor(ctx);
  const known = findCatalogEntry(repo);
  if (known) return catalogItem(ctx, known, machine, context ?? known.defaultContext);
  checkRepoId(repo);
  const config = await readRemoteConfig(repo, hubOptionsFor(ctx));
  const entry: CatalogEntry = {
    id: repo, name: repo.split('/')[1], family: String(config.model_type ?? 'unknown'),
    sources: [{ kind: 'safetensors', repo, note: 'A checkpoint you chose: converted on this machine after download.' }],
    config, contextLength: Number(config.max_position_embeddings) || 4096, defaultContext: Math.min(8192, Number(config.max_position_embeddings) || 4096),
    license: 'See the model card on the hub.', goodFor: 'A checkpoint you chose (Qwen2 or Llama architecture).',
    recommended: { temperature: 0.6, topP: 0.95, maxTokens: 32768, systemPrompt: false, note: 'Settings of the R1 distills; check the model card.' },
  };
  try {
    return catalogItem(ctx, entry, machine, context ?? entry.defaultContext, true);
  } catch (error) {
    if (error instanceof ConfigError) throw new ApiError('bad_request', `${repo} is not a checkpoint Distillery can run: ${error.message}`);
    throw error;
  }
}

async function readRemoteConfig(repo: string, hub: HubOptions): Promise<Record<string, unknown>> {
  const cached = cachedSnapshot(repo);
  if (cached) return JSON.parse(fs.readFileSync(path.join(cached, 'config.json'), 'utf8')) as Record<string, unknown>;
  if (hub.offline) throw new ApiError('conflict', `Offline mode is on and ${repo} is not on this machine: turn Offline mode off in Settings to look it up.`);
  try {
    const commit = await resolveCommit(repo, 'main', hub);
    const stream = await openFileStream(repo, commit, { path: 'config.json', size: 0, etag: 'config' }, 0, hub);
    return JSON.parse(await new Response(stream).text()) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof DownloadError) throw new ApiError(error.code === 'not_found' ? 'not_found' : 'bad_request', error.message);
    throw new ApiError('bad_request', `${repo}/config.json could not be read: ${(error as Error).message}`);
  }
}

export { catalogEntries };

/**
 * The `download` job: a services-side job (the engine thread blocks in session.run(), a download must not wait on
 * it) that fetches a repo snapshot into the Hugging Face cache, pausable and resumable after a restart (the bytes
 * on disk are the state). A checkpoint then continues into a follow-on `convert` job; the model enters the list only
 * once its files are verified and converted (a ready ONNX repo: once verified).
 */
import type { ConvertDtype } from '../contract/convert';
import { StartDownloadInput, type DownloadProgress, type StartDownloadParams } from '../contract/downloads';
import { formatBytes } from '../contract/units';
import { discardPartial, downloadRepo, type DownloadResult } from '../downloads/downloader';
import { loadsOn } from '../downloads/fit';
import { repoCache } from '../downloads/hub-cache';
import type { DownloadProgress as CoreProgress } from '../downloads/progress';
import { perServices, type ServiceContext } from './context';
import { ApiError } from './errors';
import { cacheDirFor, hubOptionsFor } from './downloads-hub';
import { downloadsRepo } from './downloads-records';
import { convertJobSpec, defaultOutDir } from './jobs-convert';
import { runnerFor, type JobKindDefinition, type ServiceJobSpec } from './jobs-runner';
import { registryFor } from './models';
import { readSettings } from './settings';
import { knownWorkingProviders } from './working-providers';

/** Saved with the job: the request with the precision settled (the fit's recommendation when none was given). */
export type DownloadJobParams = StartDownloadParams & { dtype: ConvertDtype };

/** Latest per-file progress of the downloads running now, by job id (for downloads.progress). */
export const liveProgress: (ctx: ServiceContext) => Map<string, DownloadProgress> = perServices(() => new Map());

const EMIT_EVERY_MS = 250;

/**
 * Repos being downloaded now: two jobs appending to the same partial file would corrupt it (the checksum would catch
 * it, at the price of a second download).
 */
const reposInUse = new Set<string>();

export function downloadJobSpec(ctx: ServiceContext, params: DownloadJobParams, knownJobId = ''): ServiceJobSpec<DownloadResult> {
  const cacheDir = cacheDirFor();
  const rc = repoCache(cacheDir, params.repo);
  const key = rc.folder.toLowerCase();
  if (reposInUse.has(key)) throw new ApiError('conflict', `${params.repo} is already being downloaded: wait for it, or pause or cancel that download first.`);
  reposInUse.add(key);
  const records = downloadsRepo(ctx);
  let jobId = knownJobId;
  return {
    kind: 'download',
    title: `Download ${params.repo}${params.revision !== 'main' ? `@${params.revision}` : ''}`,
    params: { ...params },
    pausable: true,
    onSettled: () => reposInUse.delete(key),
    run: async (control) => {
      jobId = control.jobId;
      let lastEmit = 0;
      control.progress({ fraction: 0, message: `Listing the files of ${params.repo}…` });
      try {
        return await downloadRepo({
          repo: params.repo,
          revision: params.revision,
          cacheDir,
          hub: hubOptionsFor(ctx),
          dtype: params.dtype,
          signal: control.signal,
          log: (message) => ctx.log('info', `download ${params.repo}: ${message}`),
          onPlan: ({ commit, files }) => {
            records.save({ id: jobId, repo: params.repo, revision: params.revision, commit, cacheDir, files: files.map((f) => ({ path: f.path, etag: f.etag, size: f.size })) });
          },
          onFileDone: (file, outcome) => {
            if (outcome === 'downloaded') records.addWritten(jobId, file.etag);
          },
          onProgress: (p) => {
            control.progress(jobProgress(p));
            const detail: DownloadProgress = { jobId, repo: p.repo, files: p.files, bytesDone: p.bytesDone, bytesTotal: p.bytesTotal, bytesPerSecond: p.bytesPerSecond, ...(p.etaSeconds !== undefined ? { etaSeconds: p.etaSeconds } : {}) };
            liveProgress(ctx).set(jobId, detail);
            const now = Date.now();
            if (now - lastEmit >= EMIT_EVERY_MS) {
              lastEmit = now;
              ctx.events.emit('download.progress', detail);
            }
          },
        });
      } finally {
        liveProgress(ctx).delete(jobId);
      }
    },
    // A cancel drops the partial bytes; verified files stay in the cache (a later download reuses them).
    onFailure: (state) => {
      if (state !== 'cancelled') return;
      const record = jobId ? records.get(jobId) : undefined;
      if (record) discardPartial(rc, record.files);
    },
    onSuccess: async (result) => finishDownload(ctx, params, jobId, result),
  };
}

/** Overall progress in words: "1.2 GB of 3.6 GB · 24.0 MB/s · 3/5 files". */
export function jobProgress(p: CoreProgress) {
  const filesDone = p.files.filter((f) => f.state === 'done' || f.state === 'cached').length;
  const speed = p.bytesPerSecond > 0 ? ` · ${formatBytes(p.bytesPerSecond)}/s` : '';
  return {
    fraction: p.bytesTotal > 0 ? p.bytesDone / p.bytesTotal : 0,
    message: `${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)}${speed} · ${filesDone}/${p.files.length} files`,
    ...(p.etaSeconds !== undefined ? { etaSeconds: p.etaSeconds } : {}),
  };
}

async function finishDownload(ctx: ServiceContext, params: DownloadJobParams, jobId: string, result: DownloadResult) {
  const registry = registryFor(ctx);
  const records = downloadsRepo(ctx);
  const fetched = `${result.files.length} files verified (${formatBytes(result.bytesTotal)}; ${formatBytes(result.bytesFetched)} fetched now)`;
  const base = { snapshotDir: result.snapshotDir, commit: result.commit, kind: result.kind };
  if (result.kind === 'onnx') {
    const model = await registry.add(result.snapshotDir, `${params.repo.split('/')[1]} (${params.dtype})`);
    records.setModel(jobId, model.id);
    return { message: `Downloaded: ${fetched}; added to your models as “${model.name}”.`, result: { ...base, modelId: model.id } };
  }
  if (!params.convert) return { message: `Downloaded: ${fetched}, in ${result.snapshotDir}.`, result: base };
  const repoName = params.repo.split('/')[1];
  const portable = await loadsOnWebgpu(ctx);
  const target = portable ? `${params.dtype} for WebGPU (portable graph)` : params.dtype;
  // The snapshot folder is named after the commit: the model folder and the job take the repo's name instead.
  const convert = convertJobSpec(
    {
      hfDir: result.snapshotDir, outDir: defaultOutDir(ctx.paths.models, repoName, params.dtype), dtype: params.dtype, register: true, name: `${repoName} ${params.dtype}`,
      ...(portable ? { portable: true } : {}),
    },
    { modelsDir: ctx.paths.models, registry },
  );
  convert.title = `Convert ${repoName} to ${target}`;
  const registerModel = convert.onSuccess!;
  convert.onSuccess = async (converted) => {
    const outcome = await registerModel(converted);
    const modelId = (outcome.result as { modelId?: string } | undefined)?.modelId;
    if (modelId) records.setModel(jobId, modelId);
    return outcome;
  };
  const job = runnerFor(ctx).start(convert);
  return { message: `Downloaded: ${fetched}. Converting to ${target} next.`, result: { ...base, convertJobId: job.id } };
}

/**
 * Whether a downloaded model will load on WebGPU (Settings picks it, and it starts here): then its conversion writes
 * the portable graph, whose KV cache stays on the GPU (about 10× the default graph's decode there, README "On a GPU"),
 * rather than leaving the user a re-conversion to do.
 */
async function loadsOnWebgpu(ctx: ServiceContext): Promise<boolean> {
  return loadsOn({ providers: (await knownWorkingProviders(ctx)) ?? ['cpu'] }, readSettings(ctx).inference.provider) === 'webgpu';
}

/** Rebuilds a download from its saved params, to resume it after a pause, a full disk or a restart. */
export function downloadKind(ctx: ServiceContext): JobKindDefinition {
  return {
    kind: 'download',
    build: (params, { jobId }) => {
      const parsed = StartDownloadInput.parse({ repo: params.repo, revision: params.revision, dtype: params.dtype, convert: params.convert });
      return downloadJobSpec(ctx, { ...parsed, dtype: parsed.dtype ?? 'q4' }, jobId);
    },
  };
}

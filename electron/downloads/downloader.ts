/**
 * Downloads a repository snapshot into the Hugging Face cache: resolve the revision to a commit, list the files
 * (sizes, checksums, untrusted paths refused), check the free disk, then fetch the wanted files a few at a time
 * (./file-fetch.ts: resume, verification, disk checks), reporting progress per file and in all. Files already in
 * the cache (from an earlier run, a Python tool or another app) are linked, not fetched again. Running it again after
 * a pause, a failure or a killed process continues where the bytes on disk end.
 */
import fs from 'node:fs';
import { freeSpace as diskFree } from '../convert/disk';
import { formatBytes } from '../contract/units';
import { DownloadError } from './errors';
import { fetchFile, type FetchOutcome, type FreeSpaceFn } from './file-fetch';
import { listRepoFiles, openFileStream, resolveCommit, type HubOptions, type RemoteFile } from './hub-client';
import { blobPath, incompletePath, repoCache, snapshotDir, writeRef, type RepoCache } from './hub-cache';
import { acquireRepoLock } from './repo-lock';
import { etaSeconds, SpeedMeter, type DownloadProgress, type FileProgress } from './progress';
import { detectSourceKind, selectFiles, type SourceKind } from './selection';

export interface DownloadOptions {
  repo: string;
  /** Branch, tag or commit (default main). */
  revision?: string;
  cacheDir: string;
  hub: HubOptions;
  /** Detected from the listing when absent. */
  kind?: SourceKind;
  /** The precision to fetch from a ready ONNX repo. */
  dtype?: string;
  /** Files fetched at once (default 4). */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?(progress: DownloadProgress): void;
  /** Called once the listing is known, before any byte is fetched. */
  onPlan?(plan: { commit: string; kind: SourceKind; files: RemoteFile[] }): void;
  /** Called once a file is verified and linked; the outcome says whether this run wrote its blob. */
  onFileDone?(file: RemoteFile, outcome: FetchOutcome): void;
  progressEveryMs?: number;
  freeSpace?: FreeSpaceFn;
  /** Stop (resumably) when the disk has less than this free (default 256 MB). */
  minFreeBytes?: number;
  retries?: number;
  retryDelayMs?: number;
  diskCheckEveryBytes?: number;
  log?(message: string): void;
}

export interface DownloadedFile extends RemoteFile {
  outcome: FetchOutcome;
}

export interface DownloadResult {
  repo: string;
  revision: string;
  commit: string;
  kind: SourceKind;
  /** snapshots/<commit>: the folder to convert or load. */
  snapshotDir: string;
  files: DownloadedFile[];
  bytesTotal: number;
  /** Bytes fetched over the network in this run. */
  bytesFetched: number;
}

export const DEFAULT_MIN_FREE_BYTES = 256 * 1024 * 1024;

/** The listing of what a download of `repo` would fetch, without fetching it. */
export async function planDownload(options: DownloadOptions): Promise<{ rc: RepoCache; commit: string; kind: SourceKind; files: RemoteFile[] }> {
  const rc = repoCache(options.cacheDir, options.repo);
  const revision = options.revision ?? 'main';
  const commit = await resolveCommit(options.repo, revision, options.hub, options.signal);
  const listing = await listRepoFiles(options.repo, commit, options.hub, options.signal);
  const kind = options.kind ?? detectSourceKind(listing);
  if (!kind) {
    throw new DownloadError('not_found', `${options.repo} has neither *.safetensors weights nor onnx/model*.onnx: Distillery cannot run it.`);
  }
  const files = selectFiles(listing, kind, options.dtype);
  if (files.length === 0) throw new DownloadError('not_found', `${options.repo} has no ${options.dtype ?? ''} files to download.`);
  return { rc, commit, kind, files };
}

/** Bytes still to fetch: nothing for a blob in the cache, the rest of a .incomplete file. */
export function bytesMissing(rc: RepoCache, files: RemoteFile[]): number {
  return files.reduce((sum, f) => {
    if (fs.existsSync(blobPath(rc, f.etag))) return sum;
    const partial = sizeOf(incompletePath(rc, f.etag));
    return sum + f.size - (partial <= f.size ? partial : 0);
  }, 0);
}

export async function downloadRepo(options: DownloadOptions): Promise<DownloadResult> {
  const revision = options.revision ?? 'main';
  const { rc, commit, kind, files } = await planDownload(options);
  options.onPlan?.({ commit, kind, files });
  const freeSpace = options.freeSpace ?? diskFree;
  const minFreeBytes = options.minFreeBytes ?? DEFAULT_MIN_FREE_BYTES;
  await checkRoom(rc, files, freeSpace, minFreeBytes);
  const release = acquireRepoLock(rc);
  try {
    return await fetchAll(options, { rc, commit, kind, files, revision, freeSpace, minFreeBytes });
  } finally {
    release();
  }
}

interface Plan {
  rc: RepoCache;
  commit: string;
  kind: SourceKind;
  files: RemoteFile[];
  revision: string;
  freeSpace: FreeSpaceFn;
  minFreeBytes: number;
}

async function fetchAll(options: DownloadOptions, { rc, commit, kind, files, revision, freeSpace, minFreeBytes }: Plan): Promise<DownloadResult> {
  const progress = new ProgressState(options.repo, files, options.onProgress, options.progressEveryMs ?? 250);
  const results = new Map<string, FetchOutcome>();
  const queue = [...files];
  const worker = async () => {
    for (let file = queue.shift(); file; file = queue.shift()) {
      if (options.signal?.aborted) throw new DownloadError('stopped', 'Stopped.');
      const current = file;
      progress.setState(current.path, 'downloading');
      const outcome = await fetchFile(current, {
        rc,
        commit,
        open: (f, start) => openFileStream(options.repo, commit, f, start, options.hub, options.signal),
        signal: options.signal,
        onBytes: (delta, fetched) => progress.add(current.path, delta, fetched),
        freeSpace,
        minFreeBytes,
        retries: options.retries ?? 5,
        retryDelayMs: options.retryDelayMs ?? 500,
        ...(options.diskCheckEveryBytes ? { diskCheckEveryBytes: options.diskCheckEveryBytes } : {}),
        log: options.log,
      });
      results.set(current.path, outcome);
      progress.setState(current.path, outcome === 'cached' ? 'cached' : 'done');
      options.onFileDone?.(current, outcome);
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 4, files.length)) }, worker);
  const settled = await Promise.allSettled(workers);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw options.signal?.aborted ? new DownloadError('stopped', 'Stopped.') : failed.reason;
  writeRef(rc, revision, commit);
  progress.flush();
  return {
    repo: options.repo,
    revision,
    commit,
    kind,
    snapshotDir: snapshotDir(rc, commit),
    files: files.map((f) => ({ ...f, outcome: results.get(f.path)! })),
    bytesTotal: files.reduce((sum, f) => sum + f.size, 0),
    bytesFetched: progress.fetched,
  };
}

/** Deletes the partial bytes of these files (a cancelled download); verified blobs stay. */
export function discardPartial(rc: RepoCache, files: Pick<RemoteFile, 'etag'>[]): void {
  for (const f of files) fs.rmSync(incompletePath(rc, f.etag), { force: true });
}

async function checkRoom(rc: RepoCache, files: RemoteFile[], freeSpace: FreeSpaceFn, minFreeBytes: number): Promise<void> {
  const missing = bytesMissing(rc, files);
  if (missing === 0) return;
  fs.mkdirSync(rc.folder, { recursive: true });
  const free = await freeSpace(rc.folder);
  if (free < missing + minFreeBytes) {
    throw new DownloadError(
      'disk_full',
      `Not enough free disk for ${rc.repo}: it needs ${formatBytes(missing)} more (plus ${formatBytes(minFreeBytes)} to spare) in ${rc.cacheDir}, ` +
        `but only ${formatBytes(free)} are free. Free up space or point HF_HUB_CACHE at a bigger disk, then start again.`,
    );
  }
}

class ProgressState {
  private readonly files: Map<string, FileProgress>;
  private readonly meter = new SpeedMeter();
  private lastEmit = 0;
  fetched = 0;

  constructor(
    private readonly repo: string,
    files: RemoteFile[],
    private readonly listener: DownloadOptions['onProgress'],
    private readonly everyMs: number,
  ) {
    this.files = new Map(files.map((f) => [f.path, { path: f.path, size: f.size, done: 0, state: 'waiting' }]));
  }

  setState(file: string, state: FileProgress['state']): void {
    const entry = this.files.get(file)!;
    entry.state = state;
    if (state === 'done' || state === 'cached') entry.done = entry.size;
    this.emit(true);
  }

  /** Bytes found on disk count as done but not as fetched; the speed counts only fetched bytes. */
  add(file: string, delta: number, fetched: boolean): void {
    const entry = this.files.get(file)!;
    entry.done = Math.max(0, entry.done + delta);
    if (fetched) {
      this.fetched += delta;
      this.meter.add(delta);
    }
    this.emit(false);
  }

  flush(): void {
    this.emit(true);
  }

  private emit(force: boolean): void {
    if (!this.listener) return;
    const now = Date.now();
    if (!force && now - this.lastEmit < this.everyMs) return;
    this.lastEmit = now;
    const files = [...this.files.values()].map((f) => ({ ...f }));
    const bytesTotal = files.reduce((sum, f) => sum + f.size, 0);
    const bytesDone = files.reduce((sum, f) => sum + Math.min(f.done, f.size), 0);
    const bytesPerSecond = this.meter.rate();
    const eta = etaSeconds(bytesTotal - bytesDone, bytesPerSecond);
    this.listener({ repo: this.repo, files, bytesDone, bytesTotal, bytesThisRun: this.fetched, bytesPerSecond, ...(eta !== undefined ? { etaSeconds: eta } : {}) });
  }
}

function sizeOf(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/**
 * One file into the cache: bytes go to blobs/<etag>.incomplete (appended from what is already there, so a download
 * interrupted by a dropped connection, a pause, a full disk or a killed process continues with HTTP Range), the
 * checksum covers the whole file (the bytes already on disk are hashed first), and only a verified file is renamed
 * to blobs/<etag> and linked into the snapshot. A mismatch deletes the bytes and fetches the file once more.
 */
import { createHash, type Hash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { formatBytes } from '../contract/units';
import { DownloadError } from './errors';
import type { RemoteFile } from './hub-client';
import { blobPath, incompletePath, linkIntoSnapshot, type RepoCache } from './hub-cache';

export type FreeSpaceFn = (dir: string) => Promise<number>;

export interface FetchFileDeps {
  rc: RepoCache;
  commit: string;
  /** The file's bytes from `start` on. */
  open(file: RemoteFile, start: number): Promise<ReadableStream<Uint8Array>>;
  signal?: AbortSignal;
  /**
   * Bytes of the file now on disk: `fetched` for bytes that just came over the network, not for those found on disk
   * (a cached blob, a resumed partial file) nor for bytes thrown away after a checksum mismatch (negative).
   */
  onBytes(delta: number, fetched: boolean): void;
  freeSpace: FreeSpaceFn;
  /** The download stops (resumably) when the disk has less than this free. */
  minFreeBytes: number;
  /** Tries per file after a dropped connection or a 5xx (each resumes from the bytes on disk). */
  retries: number;
  /** Pause between tries; grows ×2 each time. */
  retryDelayMs: number;
  /** Re-check the free disk after this many bytes written (default 8 MB). */
  diskCheckEveryBytes?: number;
  log?(message: string): void;
}

export type FetchOutcome = 'cached' | 'downloaded';

const DISK_CHECK_EVERY = 8 * 1024 * 1024;

export async function fetchFile(file: RemoteFile, deps: FetchFileDeps): Promise<FetchOutcome> {
  const blob = blobPath(deps.rc, file.etag);
  const existing = statOrUndefined(blob);
  if (existing) {
    if (existing.size !== file.size) {
      throw new DownloadError('checksum', `The cached file ${blob} (${file.path}) has ${existing.size} bytes, not ${file.size}: it is damaged. Delete it and download again.`);
    }
    linkIntoSnapshot(deps.rc, deps.commit, file.path, file.etag);
    deps.onBytes(file.size, false);
    return 'cached';
  }
  fs.mkdirSync(path.dirname(blob), { recursive: true });
  for (let pass = 1; ; pass++) {
    const digest = await writeIncomplete(file, deps);
    if (matches(file, digest)) break;
    const partial = incompletePath(deps.rc, file.etag);
    fs.rmSync(partial, { force: true });
    deps.onBytes(-file.size, false);
    const expected = file.sha256 ? `sha256 ${file.sha256}` : `git oid ${file.gitOid}`;
    deps.log?.(`${file.path}: checksum mismatch (pass ${pass}), bytes deleted`);
    if (pass >= 2) {
      throw new DownloadError('checksum', `${file.path} arrived corrupted twice (expected ${expected}); the bad bytes were deleted. Try again later or from another mirror (HF_ENDPOINT).`);
    }
  }
  fs.renameSync(incompletePath(deps.rc, file.etag), blob);
  linkIntoSnapshot(deps.rc, deps.commit, file.path, file.etag);
  return 'downloaded';
}

interface Digest {
  sha256: string;
  gitOid: string;
}

function matches(file: RemoteFile, digest: Digest): boolean {
  if (file.sha256) return digest.sha256 === file.sha256;
  return digest.gitOid === file.gitOid;
}

/** Appends the missing bytes to the .incomplete file; returns the checksums of the whole file. */
async function writeIncomplete(file: RemoteFile, deps: FetchFileDeps): Promise<Digest> {
  const partial = incompletePath(deps.rc, file.etag);
  let onDisk = statOrUndefined(partial)?.size ?? 0;
  if (onDisk > file.size) {
    fs.rmSync(partial, { force: true }); // longer than the file: not a prefix of it
    onDisk = 0;
  }
  const sha256 = createHash('sha256');
  const gitOid = createHash('sha1').update(`blob ${file.size}\0`);
  if (onDisk > 0) await hashPrefix(partial, onDisk, [sha256, gitOid]);
  deps.onBytes(onDisk, false);
  const handle = await fs.promises.open(partial, 'a');
  const cursor = { onDisk };
  try {
    let failures = 0;
    while (cursor.onDisk < file.size) {
      await checkDisk(deps, partial, cursor.onDisk, file);
      const before = cursor.onDisk;
      try {
        await appendFrom(file, cursor, handle, [sha256, gitOid], deps);
      } catch (error) {
        if (deps.signal?.aborted) throw new DownloadError('stopped', 'Stopped.');
        const retryable = error instanceof DownloadError ? error.code === 'network' || error.code === 'server' : true;
        if (cursor.onDisk > before) failures = 0; // it moved forward: a flaky line, not a dead one
        if (!retryable || ++failures > deps.retries) throw asDownloadError(error, file);
        deps.log?.(`${file.path}: ${errorText(error)}; resuming at byte ${cursor.onDisk} (try ${failures}/${deps.retries})`);
        await sleep(deps.retryDelayMs * 2 ** (failures - 1), deps.signal);
      }
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  return { sha256: sha256.digest('hex'), gitOid: gitOid.digest('hex') };
}

/** Streams from `cursor.onDisk`, appending and moving the cursor; throws when the stream fails or ends early. */
async function appendFrom(file: RemoteFile, cursor: { onDisk: number }, handle: fs.promises.FileHandle, hashes: Hash[], deps: FetchFileDeps): Promise<void> {
  let sinceCheck = 0;
  const stream = await deps.open(file, cursor.onDisk);
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const chunk = value.subarray(0, Math.max(0, file.size - cursor.onDisk));
      if (chunk.length === 0) break; // a server that sends more than the listing said: the checksum will tell
      await writeAll(handle, chunk, cursor.onDisk, partialName(deps, file));
      for (const hash of hashes) hash.update(chunk);
      cursor.onDisk += chunk.length;
      deps.onBytes(chunk.length, true);
      sinceCheck += chunk.length;
      if (sinceCheck >= (deps.diskCheckEveryBytes ?? DISK_CHECK_EVERY)) {
        sinceCheck = 0;
        await checkDisk(deps, partialName(deps, file), cursor.onDisk, file);
      }
    }
  } catch (error) {
    await reader.cancel().catch(() => undefined);
    throw error;
  }
  if (cursor.onDisk < file.size) throw new Error(`the connection closed after ${cursor.onDisk} of ${file.size} bytes`);
}

const partialName = (deps: FetchFileDeps, file: RemoteFile) => incompletePath(deps.rc, file.etag);

/** Writes the whole chunk or, on a full disk, cuts the file back to the last whole chunk: nothing half-written stays. */
async function writeAll(handle: fs.promises.FileHandle, chunk: Uint8Array, position: number, file: string): Promise<void> {
  try {
    let written = 0;
    while (written < chunk.length) {
      const { bytesWritten } = await handle.write(chunk, written, chunk.length - written, position + written);
      written += bytesWritten;
    }
  } catch (error) {
    await handle.truncate(position).catch(() => undefined);
    if ((error as NodeJS.ErrnoException).code === 'ENOSPC') throw diskFull(file, position);
    throw error;
  }
}

async function checkDisk(deps: FetchFileDeps, partial: string, onDisk: number, file: RemoteFile): Promise<void> {
  const free = await deps.freeSpace(path.dirname(partial));
  if (free < deps.minFreeBytes) throw diskFull(partial, onDisk, free, file.size - onDisk);
}

export function diskFull(partial: string, kept: number, free?: number, stillNeeded?: number): DownloadError {
  const state = free === undefined ? 'is full' : `has only ${formatBytes(free)} free`;
  const need = stillNeeded === undefined ? '' : ` (this file still needs ${formatBytes(stillNeeded)})`;
  return new DownloadError(
    'disk_full',
    `The disk holding ${path.dirname(partial)} ${state}${need}. The download is paused and the ${formatBytes(kept)} already written are kept: free up space, then resume.`,
  );
}

async function hashPrefix(file: string, length: number, hashes: Hash[]): Promise<void> {
  const stream = fs.createReadStream(file, { start: 0, end: length - 1 });
  for await (const chunk of stream) for (const hash of hashes) hash.update(chunk as Buffer);
}

function asDownloadError(error: unknown, file: RemoteFile): Error {
  if (error instanceof DownloadError) return error;
  return new DownloadError('network', `${file.path}: ${errorText(error)}. Run the download again: it resumes from the bytes already on disk.`);
}

function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : String(error);
}

function statOrUndefined(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch {
    return undefined;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}

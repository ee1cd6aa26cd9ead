/**
 * One download of a repository at a time across processes: the app and `distillery pull` (or two CLIs) fetching the
 * same repo would append to the same blobs/<etag>.incomplete files. The lock is a file naming the owning process, in
 * the cache's `.locks/<repo folder>/` (where huggingface_hub keeps its own per-file locks, under other names); a lock
 * whose process is gone (a kill -9) is taken over.
 */
import fs from 'node:fs';
import path from 'node:path';
import { processAlive } from '../convert/partials';
import { DownloadError } from './errors';
import type { RepoCache } from './hub-cache';

export const REPO_LOCK_FILE = 'distillery-download.lock';

export const repoLockPath = (rc: RepoCache): string => path.join(rc.cacheDir, '.locks', path.basename(rc.folder), REPO_LOCK_FILE);

/** Takes the lock or throws a `busy` DownloadError naming the process that holds it; returns the release function. */
export function acquireRepoLock(rc: RepoCache, alive: (pid: number) => boolean = processAlive): () => void {
  const file = repoLockPath(rc);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify({ pid: process.pid, repo: rc.repo, startedAt: new Date().toISOString() }) + '\n', { flag: 'wx' });
      return () => releaseRepoLock(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = lockOwner(file);
    if (owner !== undefined && owner !== process.pid && alive(owner)) {
      throw new DownloadError('busy', `Another Distillery process (pid ${owner}) is downloading ${rc.repo} into ${rc.cacheDir}. Wait for it to finish (or stop it), then run the download again: it continues from the bytes on disk.`);
    }
    fs.rmSync(file, { force: true }); // its owner is gone (or it is this process's own leftover): take it over
  }
  throw new DownloadError('busy', `Another process took the download lock of ${rc.repo} at the same moment; run the download again.`);
}

function lockOwner(file: string): number | undefined {
  try {
    const { pid } = JSON.parse(fs.readFileSync(file, 'utf8')) as { pid?: unknown };
    return typeof pid === 'number' && Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined; // unreadable or half-written: treated as stale
  }
}

/** Removes the lock only while it still names this process. */
function releaseRepoLock(file: string): void {
  if (lockOwner(file) === process.pid) fs.rmSync(file, { force: true });
}

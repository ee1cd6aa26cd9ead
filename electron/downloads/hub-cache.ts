/**
 * The Hugging Face cache layout, shared with Python tools (huggingface_hub, transformers) and other apps:
 *   <cache>/models--<org>--<name>/blobs/<sha256 or git oid>          the file contents, once
 *   <cache>/models--<org>--<name>/snapshots/<commit>/<path>          relative symlinks into blobs/
 *   <cache>/models--<org>--<name>/refs/<revision>                    the commit a branch or tag pointed to
 * <cache> is HF_HUB_CACHE, else HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DownloadError } from './errors';
import { joinInside } from './safe-path';

const REPO_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}\/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/;
export const COMMIT_HASH = /^[0-9a-f]{40}$/;

export function isRepoId(value: string): boolean {
  return REPO_ID.test(value) && !value.includes('..');
}

export function checkRepoId(repo: string): void {
  if (!isRepoId(repo)) {
    throw new DownloadError('not_found', `"${repo}" is not a Hugging Face repository id: use the form org/name, e.g. deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B.`);
  }
}

export function hubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_HUB_CACHE) return path.resolve(env.HF_HUB_CACHE);
  if (env.HUGGINGFACE_HUB_CACHE) return path.resolve(env.HUGGINGFACE_HUB_CACHE);
  if (env.HF_HOME) return path.resolve(env.HF_HOME, 'hub');
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'huggingface', 'hub');
}

export interface RepoCache {
  cacheDir: string;
  repo: string;
  /** <cache>/models--org--name */
  folder: string;
}

export function repoCache(cacheDir: string, repo: string): RepoCache {
  checkRepoId(repo);
  return { cacheDir, repo, folder: path.join(cacheDir, `models--${repo.split('/').join('--')}`) };
}

export const blobPath = (rc: RepoCache, etag: string): string => path.join(rc.folder, 'blobs', etag);
export const incompletePath = (rc: RepoCache, etag: string): string => `${blobPath(rc, etag)}.incomplete`;
export const snapshotDir = (rc: RepoCache, commit: string): string => path.join(rc.folder, 'snapshots', commit);
/** The file of `relPath` in a snapshot; the listing path is checked before it is joined. */
export const snapshotFile = (rc: RepoCache, commit: string, relPath: string): string => joinInside(snapshotDir(rc, commit), relPath);

export function readRef(rc: RepoCache, revision: string): string | undefined {
  if (COMMIT_HASH.test(revision)) return revision;
  try {
    const commit = fs.readFileSync(joinInside(path.join(rc.folder, 'refs'), revision), 'utf8').trim();
    return COMMIT_HASH.test(commit) ? commit : undefined;
  } catch {
    return undefined;
  }
}

export function writeRef(rc: RepoCache, revision: string, commit: string): void {
  if (COMMIT_HASH.test(revision)) return;
  const file = joinInside(path.join(rc.folder, 'refs'), revision);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, commit);
}

/**
 * Points snapshots/<commit>/<relPath> at blobs/<etag> with a relative symlink (as huggingface_hub does, so a moved
 * cache keeps working). Where symlinks are not allowed (Windows without developer mode) the blob is copied instead.
 */
export function linkIntoSnapshot(rc: RepoCache, commit: string, relPath: string, etag: string): string {
  const target = snapshotFile(rc, commit, relPath);
  const blob = blobPath(rc, etag);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.rmSync(target, { force: true });
  try {
    fs.symlinkSync(path.relative(path.dirname(target), blob), target);
  } catch {
    fs.copyFileSync(blob, target);
  }
  return target;
}

/** Every blob name some snapshot of this repo links to, with the snapshot files pointing at it. */
export function blobReferences(rc: RepoCache): Map<string, string[]> {
  const references = new Map<string, string[]>();
  const snapshots = path.join(rc.folder, 'snapshots');
  const walk = (dir: string) => {
    for (const entry of safeReaddir(dir)) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.isSymbolicLink()) {
        const blob = path.basename(path.resolve(path.dirname(file), fs.readlinkSync(file)));
        references.set(blob, [...(references.get(blob) ?? []), file]);
      }
    }
  };
  walk(snapshots);
  return references;
}

function safeReaddir(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

/** Bytes under a folder, each blob once (snapshot symlinks are not followed). */
export function folderBytes(dir: string): number {
  let total = 0;
  for (const entry of safeReaddir(dir)) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) total += folderBytes(file);
    else if (entry.isFile()) total += fs.statSync(file).size;
  }
  return total;
}

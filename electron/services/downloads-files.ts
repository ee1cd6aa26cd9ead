/**
 * Disk usage per model and in all, and removing a model with or without its files. "With files" deletes only what
 * Distillery wrote: its converted folder in the models folder, and the cache blobs its downloads wrote that no other
 * snapshot (another revision, another tool's download) and no other Distillery download still uses. A checkpoint
 * another tool put in the cache is only taken off the list.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DiskUsage, RemoveModelResult } from '../contract/downloads';
import { blobPath, blobReferences, readRef, repoCache, snapshotDir } from '../downloads/hub-cache';
import { joinInside } from '../downloads/safe-path';
import type { DownloadRecord } from '../store/downloads';
import type { ServiceContext } from './context';
import { cacheDirFor } from './downloads-hub';
import { downloadsRepo } from './downloads-records';
import { modelProviderSetting, registryFor } from './models';

/** Bytes of the files under `dir`, following snapshot symlinks to their blobs. */
function bytesUnder(dir: string): number {
  let total = 0;
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const file = path.join(dir, entry.name);
    try {
      const stat = fs.statSync(file);
      total += stat.isDirectory() ? bytesUnder(file) : stat.size;
    } catch {
      // a dangling link holds nothing
    }
  }
  return total;
}

const isInside = (parent: string, child: string) => {
  const relative = path.relative(path.resolve(parent), path.resolve(child));
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
};

export function diskUsage(ctx: ServiceContext): DiskUsage {
  const downloads = downloadsRepo(ctx).list();
  const models = ctx.store.models.list().map((model) => {
    const modelBytes = bytesUnder(model.path);
    const checkpointBytes = downloads
      .filter((d) => d.modelId === model.id && !isInside(path.join(d.cacheDir), model.path))
      .reduce((sum, d) => sum + d.files.reduce((s, f) => s + (fs.existsSync(blobPath(repoCache(d.cacheDir, d.repo), f.etag)) ? f.size : 0), 0), 0);
    return { modelId: model.id, modelBytes, checkpointBytes, totalBytes: modelBytes + checkpointBytes };
  });
  return { models, totalBytes: models.reduce((sum, m) => sum + m.totalBytes, 0), hubCacheDir: cacheDirFor(), modelsDir: ctx.paths.models };
}

export async function removeModel(ctx: ServiceContext, modelId: string, withFiles: boolean): Promise<RemoveModelResult> {
  const registry = registryFor(ctx);
  const model = registry.record(modelId);
  const downloads = downloadsRepo(ctx).byModel(modelId); // read before the row goes (the link is cleared with it)
  if (ctx.engine.status().state === 'ready') await registry.unload(modelId).catch(() => undefined);
  registry.loaded.delete(modelId);
  ctx.store.settings.remove(modelProviderSetting(modelId));
  const removed = ctx.store.models.remove(modelId);
  const result: RemoveModelResult = { removed, freedBytes: 0, deleted: [], kept: [] };
  if (!withFiles) return result;
  if (model.source === 'converted' && isInside(ctx.paths.models, model.path) && fs.existsSync(model.path)) {
    result.freedBytes += bytesUnder(model.path);
    fs.rmSync(model.path, { recursive: true, force: true });
    result.deleted.push(model.path);
  } else if (!downloads.some((d) => isInside(d.cacheDir, model.path))) {
    result.kept.push(model.path); // a folder the user added: never Distillery's to delete
  }
  for (const download of downloads) removeDownloadFiles(ctx, download, result);
  return result;
}

function removeDownloadFiles(ctx: ServiceContext, download: DownloadRecord, result: RemoveModelResult): void {
  const rc = repoCache(download.cacheDir, download.repo);
  const others = downloadsRepo(ctx).list().filter((d) => d.id !== download.id && d.repo === download.repo);
  const usedByOthers = new Set(others.flatMap((d) => d.files.map((f) => f.etag)));
  const ourSnapshot = download.commit ? snapshotDir(rc, download.commit) : undefined;
  const references = blobReferences(rc);
  for (const file of download.files) {
    const blob = blobPath(rc, file.etag);
    const links = references.get(file.etag) ?? [];
    const elsewhere = links.some((link) => !ourSnapshot || !isInside(ourSnapshot, link));
    if (!download.written.includes(file.etag) || usedByOthers.has(file.etag) || elsewhere) {
      if (fs.existsSync(blob)) result.kept.push(blob);
      continue;
    }
    if (ourSnapshot) fs.rmSync(joinInside(ourSnapshot, file.path), { force: true });
    if (fs.existsSync(blob)) {
      result.freedBytes += fs.statSync(blob).size;
      fs.rmSync(blob);
      result.deleted.push(blob);
    }
  }
  if (ourSnapshot) removeEmptyDirs(ourSnapshot);
  if (ourSnapshot && !fs.existsSync(ourSnapshot) && readRef(rc, download.revision) === download.commit && download.revision !== download.commit) {
    fs.rmSync(joinInside(path.join(rc.folder, 'refs'), download.revision), { force: true });
  }
  for (const dir of [path.join(rc.folder, 'refs'), path.join(rc.folder, 'snapshots'), path.join(rc.folder, 'blobs'), rc.folder]) removeEmptyDirs(dir);
  downloadsRepo(ctx).remove(download.id);
}

/** Removes `dir` and its sub-folders when they hold no files. */
function removeEmptyDirs(dir: string): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) if (entry.isDirectory()) removeEmptyDirs(path.join(dir, entry.name));
  if (fs.readdirSync(dir).length === 0) fs.rmdirSync(dir);
}

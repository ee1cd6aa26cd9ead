// A conversion writes into `.<name>.partial-XXXXXX` beside its output folder, with a lock file naming the process that
// owns it. A kill -9 (of `convert` or of the app mid-job) leaves that folder behind; it is removed later only when its
// lock proves the owner is gone, so a conversion running in another process is never touched, and nothing without
// the lock (a download's partial, a training checkpoint, a user's folder) ever is.
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export const PARTIAL_LOCK_FILE = '.distillery-convert.lock';

/** The temporary folder's name pattern for `outDir` (mkdtemp adds six characters). */
export function partialPrefix(outDir: string): string {
  return `.${basename(outDir)}.partial-`;
}

export async function writePartialLock(partial: string, pid = process.pid): Promise<void> {
  await writeFile(join(partial, PARTIAL_LOCK_FILE), JSON.stringify({ pid, startedAt: new Date().toISOString() }) + '\n');
}

/** Removed just before the finished folder is renamed into place: a model folder never carries the lock. */
export async function removePartialLock(partial: string): Promise<void> {
  await rm(join(partial, PARTIAL_LOCK_FILE), { force: true });
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

async function lockOwner(partial: string): Promise<number | undefined> {
  try {
    const { pid } = JSON.parse(await readFile(join(partial, PARTIAL_LOCK_FILE), 'utf8')) as { pid?: unknown };
    return typeof pid === 'number' && Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Removes the partial folders of conversions into `outDir` whose owning process is gone; returns what it removed. */
export async function sweepStalePartials(outDir: string, alive: (pid: number) => boolean = processAlive): Promise<string[]> {
  const parent = dirname(outDir);
  if (!existsSync(parent)) return [];
  const pattern = new RegExp(`^${escapeRegExp(partialPrefix(outDir))}[A-Za-z0-9]{6}$`);
  const removed: string[] = [];
  for (const name of await readdir(parent).catch(() => [] as string[])) {
    if (!pattern.test(name)) continue;
    const partial = join(parent, name);
    const owner = await lockOwner(partial);
    if (owner === undefined || alive(owner)) continue;
    await rm(partial, { recursive: true, force: true });
    removed.push(partial);
  }
  return removed;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

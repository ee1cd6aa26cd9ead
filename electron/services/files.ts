/**
 * files.browse: the headless mode's folder browser (the desktop app uses the native dialog instead). Only the user's
 * home and the data folder can be listed: every path is resolved (symlinks included) and must stay inside one of
 * them, so neither `..` nor a link leads elsewhere. Entries whose link points outside are left out.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrowseEntry, BrowseResult } from '../contract/files';
import type { ServiceModule } from './context';
import { ApiError } from './errors';

export const MAX_ENTRIES = 2000;

export interface BrowseRoots {
  label: string;
  path: string;
}

function realOrNull(p: string): string | null {
  try {
    return fs.realpathSync(p);
  } catch {
    return null;
  }
}

export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** The roots that exist, with their real paths (a home that is itself a link resolves to its target). */
export function browseRoots(candidates: BrowseRoots[]): BrowseRoots[] {
  const seen = new Set<string>();
  const roots: BrowseRoots[] = [];
  for (const root of candidates) {
    const real = realOrNull(root.path);
    if (real && !seen.has(real)) {
      seen.add(real);
      roots.push({ label: root.label, path: real });
    }
  }
  return roots;
}

export function browse(roots: BrowseRoots[], requested: string | undefined, showHidden = false): BrowseResult {
  if (requested === undefined) return { roots, entries: roots.map((r) => ({ name: r.label, path: r.path, kind: 'folder' })), truncated: false };
  const real = realOrNull(requested);
  if (!real) throw new ApiError('not_found', `${requested} does not exist.`);
  const root = roots.find((r) => isInside(real, r.path));
  if (!root) throw new ApiError('forbidden', `Only folders inside ${roots.map((r) => r.path).join(' or ')} can be browsed here.`);
  if (!fs.statSync(real).isDirectory()) throw new ApiError('bad_request', `${requested} is a file, not a folder.`);
  let dirents: fs.Dirent[];
  try {
    dirents = fs.readdirSync(real, { withFileTypes: true });
  } catch (error) {
    throw new ApiError('forbidden', `Cannot read ${real}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`);
  }
  const entries: BrowseEntry[] = [];
  for (const dirent of dirents) {
    if (!showHidden && dirent.name.startsWith('.')) continue;
    const entry = describeEntry(roots, real, dirent);
    if (entry) entries.push(entry);
  }
  entries.sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'folder' ? -1 : 1));
  const parent = path.dirname(real);
  const result: BrowseResult = { path: real, roots, entries: entries.slice(0, MAX_ENTRIES), truncated: entries.length > MAX_ENTRIES };
  if (parent !== real && isInside(parent, root.path)) result.parent = parent;
  return result;
}

function describeEntry(roots: BrowseRoots[], dir: string, dirent: fs.Dirent): BrowseEntry | undefined {
  const full = path.join(dir, dirent.name);
  const real = dirent.isSymbolicLink() ? realOrNull(full) : full;
  if (!real || !roots.some((r) => isInside(real, r.path))) return undefined; // dangling, or leads outside
  let stat: fs.Stats;
  try {
    stat = fs.statSync(real);
  } catch {
    return undefined;
  }
  if (stat.isDirectory()) return { name: dirent.name, path: real, kind: 'folder' };
  if (stat.isFile()) return { name: dirent.name, path: real, kind: 'file', sizeBytes: stat.size };
  return undefined;
}

export const filesService: ServiceModule = (ctx) => {
  const roots = () =>
    browseRoots([
      { label: 'Home', path: os.homedir() },
      { label: 'Distillery data', path: ctx.paths.root },
    ]);
  return {
    handlers: {
      'files.browse': async ({ path: requested, showHidden }) => browse(roots(), requested, showHidden),
    },
  };
};

/**
 * Paths in a hub listing come from a remote server: before one is joined to a local folder it must be a plain
 * relative POSIX path that stays inside that folder under both POSIX and Windows rules.
 */
import path from 'node:path';
import { DownloadError } from './errors';

export function checkListingPath(file: string): void {
  const refuse = (why: string): never => {
    throw new DownloadError('unsafe_path', `The hub listing names the file "${file}", which ${why}; it was refused and nothing was written. Report it to the repository's owner.`);
  };
  if (file.length === 0 || file.length > 1024) refuse('is empty or too long');
  if (file.includes('\0')) refuse('contains a NUL character');
  const segments = file.replace(/\\/g, '/').split('/');
  if (segments.includes('..')) refuse('climbs out of the repository with ".."');
  if (segments.some((segment) => segment === '' || segment === '.')) refuse('has an empty or "." path segment');
  if (file.startsWith('/') || file.startsWith('\\') || segments.some((segment) => /^[A-Za-z]:/.test(segment))) {
    refuse('is an absolute, drive or UNC path');
  }
}

/** `file` joined under `root`, refused unless it stays strictly inside. */
export function joinInside(root: string, file: string): string {
  checkListingPath(file);
  const target = path.resolve(root, ...file.split('/'));
  const relative = path.relative(path.resolve(root), target);
  if (!relative || relative.startsWith('..') || path.isAbsolute(relative)) {
    throw new DownloadError('unsafe_path', `The hub listing names the file "${file}", which would be written outside ${root}; it was refused.`);
  }
  return target;
}

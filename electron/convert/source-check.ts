// Is the checkpoint a folder was converted from still the one its manifest records? A quick look (every file there,
// with its recorded size) for the model list, and the exact answer (every sha256) for a re-conversion.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { SourceFile } from './manifest';

export type SourceCheck =
  | { ok: true }
  | { ok: false; reason: 'source missing' | 'source changed' | 'source not recorded'; message: string };

/** The first way `actual` (checksummed now) differs from what the manifest recorded, in words; undefined when none. */
export function sourceDifference(expected: readonly SourceFile[], actual: readonly SourceFile[]): string | undefined {
  const now = new Map(actual.map((file) => [file.name, file]));
  for (const file of expected) {
    const found = now.get(file.name);
    if (!found) return `${file.name} is missing`;
    if (found.bytes !== file.bytes) return `${file.name} is ${found.bytes} bytes, was ${file.bytes}`;
    if (found.sha256 !== file.sha256) return `${file.name} has sha256 ${found.sha256.slice(0, 12)}…, was ${file.sha256.slice(0, 12)}…`;
  }
  const recorded = new Set(expected.map((file) => file.name));
  // A weights file the conversion would read now but did not then means different weights.
  const added = actual.find((file) => !recorded.has(file.name) && /\.safetensors(\.index\.json)?$/.test(file.name));
  return added ? `${added.name} was not there when the model was converted` : undefined;
}

/** The cheap check for the model list: the folder and every recorded file are there, each with its recorded size. */
export function quickSourceCheck(source: { folder: string; files: readonly SourceFile[] }): SourceCheck {
  if (source.files.length === 0) {
    return { ok: false, reason: 'source not recorded', message: 'Its manifest records no source files, so the checkpoint cannot be verified: convert the checkpoint again into a new folder.' };
  }
  for (const file of source.files) {
    let bytes: number;
    try {
      bytes = statSync(join(source.folder, file.name)).size;
    } catch {
      return { ok: false, reason: 'source missing', message: sourceProblem(source.folder, `${file.name} is missing`, 'gone') };
    }
    if (bytes !== file.bytes) return { ok: false, reason: 'source changed', message: sourceProblem(source.folder, `${file.name} is ${bytes} bytes, was ${file.bytes}`, 'changed') };
  }
  return { ok: true };
}

/** "The checkpoint at … is gone (…): download org/name again …", naming the repository when the folder is a hub snapshot. */
export function sourceProblem(folder: string, detail: string, what: 'gone' | 'changed'): string {
  const repo = hubRepoOf(folder);
  const fix = repo
    ? `download ${repo} again (Models › Download) and re-convert from there.`
    : `put the original checkpoint back at ${folder}, or download it again and convert it into a new folder.`;
  const state = what === 'gone' ? 'is gone or incomplete' : 'changed since this model was converted';
  return `The source checkpoint at ${folder} ${state} (${detail}): ${fix}`;
}

/** org/name of a Hugging Face cache snapshot (…/models--org--name/snapshots/<commit>), else undefined. */
export function hubRepoOf(folder: string): string | undefined {
  const parts = folder.split(/[\\/]/);
  const at = parts.findIndex((part, i) => /^models--[^-].*--.+$/.test(part) && parts[i + 1] === 'snapshots');
  if (at < 0) return undefined;
  const [org, ...name] = parts[at].slice('models--'.length).split('--');
  return name.length ? `${org}/${name.join('--')}` : undefined;
}

// Free-space check before a conversion starts: running out of disk half-way through a 40 GB write wastes an hour.
import { statfs } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConvertError } from './source';
import { formatBytes } from '../contract/units';

/** Free bytes available to this user on the filesystem holding `path`. Injectable in tests. */
export type FreeSpaceFn = (path: string) => Promise<number>;

export const freeSpace: FreeSpaceFn = async (path) => {
  const stats = await statfs(nearestExisting(path));
  return Number(stats.bavail) * Number(stats.bsize);
};

function nearestExisting(path: string): string {
  let p = path;
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  return p;
}

/** Headroom on top of the estimate: protobuf, config and tokenizer files, filesystem slack. */
export const DISK_MARGIN_BYTES = 64 * 1024 * 1024;

export async function checkFreeSpace(outFolder: string, neededBytes: number, free: FreeSpaceFn = freeSpace): Promise<void> {
  const available = await free(outFolder);
  const needed = Math.ceil(neededBytes * 1.01) + DISK_MARGIN_BYTES;
  if (available < needed) {
    throw new ConvertError(
      `Not enough free disk space for the converted model in ${dirname(outFolder)}: it needs about ${needed} bytes ` +
        `(${formatBytes(needed)}) but only ${available} bytes (${formatBytes(available)}) are free. ` +
        'Free up space or choose an output folder on another disk.',
    );
  }
}

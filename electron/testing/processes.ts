import { spawnSync } from 'node:child_process';

/** The pid of a process that has already exited (for "is the owner still running?" checks). */
export function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

// Stale partial folders are removed only when their lock names a process that is gone; nothing else is touched.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { deadPid } from '../testing/processes';
import { PARTIAL_LOCK_FILE, processAlive, sweepStalePartials, writePartialLock } from './partials';

const root = mkdtempSync(path.join(os.tmpdir(), 'distillery-partials-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('stale conversion partials', () => {
  it('removes a partial whose owner is gone, keeps one whose owner runs, and never touches unlocked folders', async () => {
    const parent = mkdtempSync(path.join(root, 'models-'));
    const outDir = path.join(parent, 'm');
    const stale = path.join(parent, '.m.partial-AbC123');
    const running = path.join(parent, '.m.partial-XyZ789');
    const unlocked = path.join(parent, '.m.partial-NoLock');
    const setAside = path.join(parent, '.m.partial-Old111.old'); // a replaced model set aside mid-swap
    const otherModel = path.join(parent, '.n.partial-AbC123');
    for (const dir of [stale, running, unlocked, setAside, otherModel]) {
      mkdirSync(dir);
      writeFileSync(path.join(dir, 'model.onnx_data'), 'weights');
    }
    const dead = deadPid();
    expect(processAlive(dead)).toBe(false);
    await writePartialLock(stale, dead);
    await writePartialLock(running, process.pid);
    await writePartialLock(setAside, dead);
    await writePartialLock(otherModel, dead);
    mkdirSync(path.join(parent, 'downloads.partial')); // a download's partial: a different name, never ours

    expect(await sweepStalePartials(outDir)).toEqual([stale]);
    expect(readdirSync(parent).sort()).toEqual(['.m.partial-NoLock', '.m.partial-Old111.old', '.m.partial-XyZ789', '.n.partial-AbC123', 'downloads.partial']);
    expect(existsSync(path.join(running, PARTIAL_LOCK_FILE))).toBe(true);
  });

  it('a missing parent folder is nothing to sweep', async () => {
    expect(await sweepStalePartials(path.join(root, 'nowhere', 'm'))).toEqual([]);
  });
});

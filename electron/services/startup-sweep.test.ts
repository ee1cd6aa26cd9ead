// At start-up the app removes what conversions killed mid-job left behind, and nothing else.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writePartialLock } from '../convert/partials';
import { EngineHost } from '../engine/host';
import { nodeEngineSpawner } from '../engine/spawn-node';
import { openDatabase } from '../store';
import { deadPid } from '../testing/processes';
import { createServices } from './index';
import { dataPaths, ensureDataDirs } from './paths';

const root = mkdtempSync(path.join(os.tmpdir(), 'distillery-startup-sweep-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('start-up sweep of interrupted conversions', () => {
  it('removes only the partials of interrupted convert jobs whose process is gone', async () => {
    const dataDir = path.join(root, 'data');
    const paths = ensureDataDirs(dataDir);
    const killed = path.join(paths.models, 'killed');
    const elsewhere = path.join(paths.models, 'elsewhere');
    const partial = (dir: string, suffix: string) => {
      const folder = path.join(path.dirname(dir), `.${path.basename(dir)}.partial-${suffix}`);
      mkdirSync(folder);
      writeFileSync(path.join(folder, 'model.onnx_data'), 'half');
      return folder;
    };
    await writePartialLock(partial(killed, 'aaaaaa'), deadPid());
    await writePartialLock(partial(killed, 'bbbbbb'), process.pid); // a `convert` still running in another process
    await writePartialLock(partial(elsewhere, 'cccccc'), deadPid()); // its job did not end interrupted
    mkdirSync(path.join(paths.models, 'R1-1.5B.download-partial')); // a resumable download
    mkdirSync(path.join(root, 'checkpoints', 'step-100'), { recursive: true });

    // The app was killed while the first job ran; the second finished (failed) before.
    const store = openDatabase(dataPaths(dataDir).db);
    store.jobs.create({ kind: 'convert', title: 'killed', state: 'running', params: { outDir: killed } });
    const failed = store.jobs.create({ kind: 'convert', title: 'failed', state: 'running', params: { outDir: elsewhere } });
    store.jobs.update(failed.id, { state: 'failed' });
    store.close();

    const services = createServices({ dataDir, engineHost: new EngineHost({ spawn: nodeEngineSpawner() }), transport: 'http', version: '0' });
    await services.close(); // waits for the sweep
    expect(readdirSync(paths.models).sort()).toEqual(['.elsewhere.partial-cccccc', '.killed.partial-bbbbbb', 'R1-1.5B.download-partial']);
    expect(readdirSync(path.join(root, 'checkpoints'))).toEqual(['step-100']);
  });
});

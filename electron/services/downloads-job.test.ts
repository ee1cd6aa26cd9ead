/** How the job runner ends a download that stopped by itself: a full disk or a lost connection leaves it paused. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Job } from '../contract/api';
import { DownloadError } from '../downloads/errors';
import { EngineHost } from '../engine/host';
import { createServices } from './index';
import { jobProgress } from './downloads-job';
import { runnerFor } from './jobs-runner';

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-download-job-'));
const services = createServices({ dataDir: home, engineHost: new EngineHost({ spawn: () => { throw new Error('no engine in this test'); } }), transport: 'http' });

afterAll(async () => {
  await services.close();
  fs.rmSync(home, { recursive: true, force: true });
});

async function settled(jobId: string): Promise<Job> {
  for (;;) {
    const job = (await services.call('jobs.list', {})).find((j) => j.id === jobId)!;
    if (job.state !== 'running') return job;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('download jobs in the runner', () => {
  it('a full disk pauses the job with the message, resumable; a checksum failure fails it', async () => {
    const runner = runnerFor(services.context);
    const full = runner.start({ kind: 'download', title: 'Download a/b', params: {}, pausable: true, run: async () => {
      throw new DownloadError('disk_full', 'The disk holding /cache has only 10 MiB free. The download is paused and the 1.0 GiB already written are kept: free up space, then resume.');
    } });
    const paused = await settled(full.id);
    expect(paused.state).toBe('paused');
    expect(paused.message).toContain('free up space, then resume');
    const corrupt = runner.start({ kind: 'download', title: 'Download a/c', params: {}, run: async () => {
      throw new DownloadError('checksum', 'x.safetensors arrived corrupted twice');
    } });
    expect((await settled(corrupt.id)).state).toBe('failed');
  });

  it('words the overall progress', () => {
    const p = jobProgress({ repo: 'r', files: [{ path: 'a', size: 2, done: 2, state: 'done' }, { path: 'b', size: 1024 ** 3, done: 0, state: 'downloading' }], bytesDone: 512 * 1024 ** 2, bytesTotal: 1024 ** 3, bytesThisRun: 0, bytesPerSecond: 8 * 1024 ** 2, etaSeconds: 64 });
    expect(p).toEqual({ fraction: 0.5, message: '512.0 MiB of 1.0 GiB · 8.0 MiB/s · 1/2 files', etaSeconds: 64 });
  });
});

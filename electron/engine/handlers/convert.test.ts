// The `convert` engine job through a real forked engine: progress events, result, cancel, and a refused input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineHost } from '../host';
import { nodeEngineSpawner } from '../spawn-node';
import { writeTinyCheckpoint } from '../../testing/factory';
import type { ConvertProgress } from '../../convert/progress';

describe('engine job "convert"', () => {
  let host: EngineHost;
  let root: string;
  let hf: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'distillery-convert-job-'));
    hf = join(root, 'hf');
    writeTinyCheckpoint(hf, { arch: 'qwen2', seed: 8 });
    host = new EngineHost({ spawn: nodeEngineSpawner(), restartDelaysMs: [50] });
    await host.start();
  }, 60_000);
  afterAll(async () => {
    await host.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('converts with progress events and returns the manifest', async () => {
    const progress: ConvertProgress[] = [];
    const result = await host.request(
      'convert',
      { hfDir: hf, outDir: join(root, 'q4'), dtype: 'q4' },
      { onEvent: (event, data) => event === 'progress' && progress.push(data as ConvertProgress) },
    );
    expect(result.manifest.dtype).toBe('q4');
    expect(existsSync(result.modelFile)).toBe(true);
    const converting = progress.filter((p) => p.phase === 'convert');
    expect(converting.at(-1)).toMatchObject({ fraction: 1 });
    expect(converting.at(-1)!.tensorsDone).toBe(converting.at(-1)!.tensorsTotal);
    expect(converting.at(-1)!.bytesDone).toBe(converting.at(-1)!.bytesTotal);
  }, 120_000);

  it('cancels after the first progress event and leaves nothing behind', async () => {
    const parent = mkdtempSync(join(root, 'cancel-'));
    const call = host.stream('convert', { hfDir: hf, outDir: join(parent, 'm'), dtype: 'fp16' });
    for await (const _ of call.events) call.cancel();
    await expect(call.result).rejects.toMatchObject({ code: 'cancelled' });
    expect(readdirSync(parent)).toEqual([]);
  }, 120_000);

  it('refuses bad input with code convert_failed and a clear message', async () => {
    await expect(host.request('convert', { hfDir: join(root, 'nope'), outDir: join(root, 'x'), dtype: 'q4' })).rejects.toMatchObject({
      code: 'convert_failed',
      message: expect.stringMatching(/nope does not exist/),
    });
    const empty = mkdtempSync(join(root, 'empty-'));
    await expect(host.request('convert', { hfDir: empty, outDir: join(root, 'x'), dtype: 'q4' })).rejects.toMatchObject({
      code: 'convert_failed',
      message: expect.stringMatching(/has no config\.json/),
    });
    // @ts-expect-error: a dtype the contract refuses (the engine answers bad_request)
    await expect(host.request('convert', { hfDir: hf, outDir: join(root, 'y'), dtype: 'int3' })).rejects.toMatchObject({ code: 'bad_request' });
  }, 60_000);
});

/**
 * The loop with a pure-TypeScript model (a table w[token] regressed on the next token), so its behaviour —
 * exact resume, divergence handling, validation — is tested apart from ORT.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadCheckpoint } from './checkpoint';
import type { PackedBatch, TrainingRecord } from './packing';
import { Rng } from './rng';
import { type StepRunner, type TrainConfig, type TrainEvent, train } from './trainer';

const VOCAB = 8;

function tableRunner(nanAtCall?: number): StepRunner {
  let calls = 0;
  const forward = (batch: PackedBatch, w: Float32Array, grad?: Float32Array) => {
    let loss = 0;
    for (let i = 0; i < batch.rows * batch.seqLen - 1; i++) {
      const weight = batch.lossWeights[i];
      if (!weight) continue;
      const id = Number(batch.inputIds[i]);
      const diff = w[id] - Number(batch.inputIds[i + 1]) / VOCAB;
      loss += weight * 0.5 * diff * diff;
      if (grad) grad[id] += weight * diff;
    }
    return loss;
  };
  return {
    async run(batch, params) {
      calls++;
      const grad = new Float32Array(VOCAB);
      const loss = forward(batch, params.get('w')!.data, grad);
      return { loss: calls === nanAtCall ? NaN : loss, grads: new Map([['w', grad]]) };
    },
    async loss(batch, params) {
      return forward(batch, params.get('w')!.data);
    },
  };
}

function records(n: number, seed: number): TrainingRecord[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const start = Math.floor(rng.next() * VOCAB);
    const inputIds = Array.from({ length: 3 + Math.floor(rng.next() * 3) }, (_, t) => (start + t) % VOCAB);
    return { inputIds, targetMask: inputIds.map((_, t) => (t > 0 ? 1 : 0)) };
  });
}

const config: TrainConfig = {
  seed: 3, epochs: 3, rowsPerBatch: 2, seqLen: 8, gradAccumulation: 2, lr: 0.05, warmupSteps: 2,
  validateEvery: 3, checkpointEvery: 2, maxGradNorm: 1,
};
const initial = () => new Map([['w', { shape: [VOCAB], data: new Float32Array(VOCAB) }]]);

let dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'distillery-trainer-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

describe('training loop', () => {
  it('drives the loss down and validates on held-out records', async () => {
    const events: TrainEvent[] = [];
    const out = await train({ records: records(24, 1), validation: records(6, 2), params: initial(), runner: tableRunner(), config, checkpointDir: tempDir(), onEvent: (e) => events.push(e) });
    expect(out.status).toBe('completed');
    if (out.status === 'diverged') throw new Error(out.message);
    const { history, validation } = out.loop;
    expect(history.length).toBe(out.loop.totalSteps);
    expect(history.at(-1)!.loss).toBeLessThan(history[0].loss * 0.5);
    expect(validation.at(-1)!.loss).toBeLessThan(validation[0].loss);
    expect(events.filter((e) => e.type === 'checkpoint').length).toBeGreaterThan(1);
  });

  it('a run stopped midway and resumed gives exactly the loss curve of an uninterrupted run', async () => {
    const data = records(24, 1);
    const full = await train({ records: data, params: initial(), runner: tableRunner(), config, checkpointDir: tempDir() });
    const dir = tempDir();
    const abort = new AbortController();
    const first = await train({
      records: data, params: initial(), runner: tableRunner(), config: { ...config, checkpointEvery: 4 }, checkpointDir: dir, signal: abort.signal,
      onEvent: (e) => { if (e.type === 'step' && e.step === 5) abort.abort(); },
    });
    expect(first.status).toBe('cancelled');
    expect(first.loop.step).toBe(5);
    // a fresh process: new runner, params argument ignored, everything comes from the checkpoint
    const resumed = await train({ records: data, params: initial(), runner: tableRunner(), config, checkpointDir: dir, resume: true });
    expect(resumed.loop.history).toEqual(full.loop.history);
    if (resumed.status === 'diverged' || full.status === 'diverged') throw new Error('diverged');
    expect(Array.from(resumed.params.get('w')!.data)).toEqual(Array.from(full.params.get('w')!.data));
  });

  it('stops cleanly on a non-finite loss and keeps the last good checkpoint', async () => {
    const dir = tempDir();
    // 2 micro-batches per step: call 11 is in step 6; checkpoints every 2 steps → step 4 is the last good one
    const out = await train({ records: records(24, 1), params: initial(), runner: tableRunner(11), config, checkpointDir: dir });
    expect(out.status).toBe('diverged');
    if (out.status !== 'diverged') return;
    expect(out.message).toMatch(/step 6: the loss is not finite/);
    expect(out.checkpoint).toMatch(/step-000004$/);
    const kept = loadCheckpoint(out.checkpoint!);
    expect(kept.loop.step).toBe(4);
    expect(Array.from(kept.params.get('w')!.data).every(Number.isFinite)).toBe(true);
  });

  it('gradient accumulation: 2 micro-batches of 1 row train like 1 micro-batch of 2 rows', async () => {
    // every record fills a row exactly, so both settings group the same records into each optimizer step
    const full = records(16, 4).map((r) => ({ inputIds: [...r.inputIds, 1, 2, 3, 4, 5, 6, 7].slice(0, 8), targetMask: new Array(8).fill(1) }));
    const base = { ...config, seqLen: 8, checkpointEvery: 0, validateEvery: 0, epochs: 2 };
    const accumulated = await train({ records: full, params: initial(), runner: tableRunner(), config: { ...base, rowsPerBatch: 1, gradAccumulation: 2 }, checkpointDir: tempDir() });
    const batched = await train({ records: full, params: initial(), runner: tableRunner(), config: { ...base, rowsPerBatch: 2, gradAccumulation: 1 }, checkpointDir: tempDir() });
    expect(accumulated.loop.history.length).toBe(batched.loop.history.length);
    accumulated.loop.history.forEach((h, i) => expect(h.loss).toBeCloseTo(batched.loop.history[i].loss, 5));
  });

  it('refuses a data set with nothing to learn', async () => {
    const none = [{ inputIds: [1, 2], targetMask: [0, 0] }];
    await expect(train({ records: none, params: initial(), runner: tableRunner(), config, checkpointDir: tempDir() })).rejects.toThrow(/no training records with target tokens/);
  });
});

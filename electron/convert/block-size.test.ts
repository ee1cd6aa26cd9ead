// Which 4-bit format: quality on weights with heavy tails and outliers (see testing/heavy-tailed.ts), q4 with block
// 32 / 64 / 128, symmetric (Q4_0's scheme) and with a zero point per block, against the float model on the same
// positions. The speed side is `npm run bench -- blocks` and `npm run bench -- decode`.
// Asserted: the error grows with the block, a zero point lowers it, and the default (block 64 with zero points) is at
// least as accurate as block 32 symmetric, the scheme llama.cpp's Q4_0 uses.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeHeavyTailedCheckpoint } from '../testing/heavy-tailed';
import { logitsPerPosition } from '../testing/decoder-logits';
import { convertCheckpoint } from './convert';
import { compareLogits } from './compare';
import { DEFAULT_BLOCK_SIZE, DEFAULT_SYMMETRIC } from './quantize';

const POSITIONS = 48;
const VOCAB = 8192;
let root: string;
let hf: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'distillery-blocks-'));
  hf = join(root, 'hf');
  // a small vocabulary keeps the fixture quick to write; the projections carry the heavy tails that matter here
  writeHeavyTailedCheckpoint(hf, { arch: 'qwen2', hidden: 256, intermediate: 512, layers: 2, heads: 4, kvHeads: 2, vocabSize: VOCAB }, 17);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const ids = Array.from({ length: POSITIONS }, (_, i) => 1 + ((i * 7919) % (VOCAB - 1)));

type Row = ReturnType<typeof compareLogits> & { meanAbs: number };
const key = (blockSize: number, symmetric: boolean) => `${blockSize}${symmetric ? '' : ' asym'}`;

it('q4 block 32 / 64 / 128, symmetric and asymmetric, against float on heavy-tailed weights; the default is at least as accurate as Q4_0\'s scheme', async () => {
  const float = await logitsPerPosition((await convertCheckpoint(hf, join(root, 'fp32'), { dtype: 'fp32' })).modelFile, ids);
  const rows = new Map<string, Row>();
  for (const symmetric of [true, false]) {
    for (const blockSize of [32, 64, 128]) {
      const folder = join(root, `q4-${key(blockSize, symmetric).replace(' ', '-')}`);
      const q = await logitsPerPosition((await convertCheckpoint(hf, folder, { dtype: 'q4', blockSize, symmetric })).modelFile, ids);
      let sum = 0;
      for (let i = 0; i < q.length; i++) sum += Math.abs(q[i] - float[i]);
      const r = { ...compareLogits(float, q, POSITIONS), meanAbs: sum / q.length };
      rows.set(key(blockSize, symmetric), r);
      console.log(`[blocks] heavy-tailed q4 block ${key(blockSize, symmetric)}: mean abs ${r.meanAbs.toFixed(4)}, max abs ${r.maxAbs.toFixed(3)}, mean cosine ${r.meanCosine.toFixed(5)}, top-1 ${r.top1.toFixed(3)}`);
    }
  }
  const at = (blockSize: number, symmetric: boolean) => rows.get(key(blockSize, symmetric))!;
  for (const symmetric of [true, false]) {
    expect(at(32, symmetric).meanAbs).toBeLessThan(at(64, symmetric).meanAbs);
    expect(at(64, symmetric).meanAbs).toBeLessThan(at(128, symmetric).meanAbs);
  }
  for (const blockSize of [32, 64, 128]) expect(at(blockSize, false).meanAbs).toBeLessThan(at(blockSize, true).meanAbs);
  // Measured (2 layers, hidden 256, 48 positions), mean abs / mean cosine: symmetric 0.344 / 0.938, 0.448 / 0.896,
  // 0.569 / 0.835; with zero points 0.257 / 0.965, 0.325 / 0.945, 0.429 / 0.904 (block 32 / 64 / 128). Seeds 5 and 99
  // gave the same order (block 64 with zero points 0.325 and 0.316 against symmetric 32's 0.330 and 0.340); on plain
  // Gaussian weights it is 7% worse than symmetric 32 (0.129 against 0.121). Top-1 (0.33–0.54) is not informative on
  // a random model's near-tied logits.
  expect(DEFAULT_BLOCK_SIZE).toBe(64);
  expect(DEFAULT_SYMMETRIC).toBe(false);
  const chosen = at(DEFAULT_BLOCK_SIZE, DEFAULT_SYMMETRIC);
  const q4_0 = at(32, true);
  expect(chosen.meanAbs).toBeLessThanOrEqual(q4_0.meanAbs);
  expect(chosen.meanCosine).toBeGreaterThanOrEqual(q4_0.meanCosine);
  expect(chosen.maxAbs).toBeLessThanOrEqual(q4_0.maxAbs);
}, 900_000);

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { writeModel } from '../onnx/write';
import * as op from '../onnx/ops';
import { parseModelConfig, type ModelConfig } from './config';
import { buildDecoder, type DecoderOptions } from './decoder';
import { randomWeights, seededRandom, tinyConfigJson } from '../testing/tiny-checkpoint';
import { ReferenceModel, referenceInverseFrequencies, type ReferenceCache } from '../testing/reference';
import type { EmbeddingContext, EmbeddingFn } from './layers';
import { ropeInverseFrequencies } from './rope';
import { memoryWeights } from './weights';

const dir = mkdtempSync(join(tmpdir(), 'distillery-decoder-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Feeds = Record<string, ort.Tensor>;

interface Fixture {
  config: ModelConfig;
  reference: ReferenceModel;
  session: ort.InferenceSession;
  dtype: 'float32' | 'float64';
}

async function makeFixture(name: string, configJson: Record<string, unknown>, options: DecoderOptions = {}): Promise<Fixture> {
  const config = parseModelConfig(configJson);
  const weights = memoryWeights(randomWeights(configJson, 7));
  const { graph } = buildDecoder(config, weights, options);
  const file = join(dir, `${name}.onnx`);
  await writeModel(graph, file);
  const session = await ort.InferenceSession.create(file, { graphOptimizationLevel: 'disabled' });
  return { config, reference: new ReferenceModel(config, weights), session, dtype: options.dtype === 'float64' ? 'float64' : 'float32' };
}

const int64 = (rows: number[][]): ort.Tensor => new ort.Tensor('int64', BigInt64Array.from(rows.flat(), BigInt), [rows.length, rows[0].length]);

/** transformers.js-style position ids: cumsum(mask) − 1, pads set to 1; the last `seq` of them. */
function positionsFromMask(mask: number[][], seq: number): number[][] {
  return mask.map((row) => {
    let count = 0;
    const all = row.map((m) => (m ? count++ : 1));
    return all.slice(all.length - seq);
  });
}

function emptyPast(f: Fixture, batch: number): Feeds {
  const feeds: Feeds = {};
  const { numKvHeads, headDim } = f.config;
  const empty = f.dtype === 'float64' ? new Float64Array(0) : new Float32Array(0);
  for (let i = 0; i < f.config.numLayers; i++) {
    for (const kind of ['key', 'value']) feeds[`past_key_values.${i}.${kind}`] = new ort.Tensor(f.dtype, empty, [batch, numKvHeads, 0, headDim]);
  }
  return feeds;
}

function presentsAsPast(f: Fixture, out: ort.InferenceSession.OnnxValueMapType): Feeds {
  const feeds: Feeds = {};
  for (let i = 0; i < f.config.numLayers; i++) {
    for (const kind of ['key', 'value']) feeds[`past_key_values.${i}.${kind}`] = out[`present.${i}.${kind}`] as ort.Tensor;
  }
  return feeds;
}

/** Max |a − b| over the rows (batch b, position s) where `keep(b, s)`; logits are [batch, seq, vocab]. */
function maxError(a: ArrayLike<number>, b: ArrayLike<number>, batch: number, seq: number, vocab: number, keep: (b: number, s: number) => boolean): number {
  let worst = 0;
  for (let bi = 0; bi < batch; bi++) {
    for (let s = 0; s < seq; s++) {
      if (!keep(bi, s)) continue;
      for (let v = 0; v < vocab; v++) {
        const i = (bi * seq + s) * vocab + v;
        worst = Math.max(worst, Math.abs(Number(a[i]) - Number(b[i])));
      }
    }
  }
  return worst;
}

/** Every output's run-time dims equal its declared (symbolic) shape; past inputs declare a fixed head_dim. */
function checkDeclaredShapes(f: Fixture, out: ort.InferenceSession.OnnxValueMapType, dims: Record<string, number>): void {
  for (const meta of f.session.outputMetadata) {
    if (!meta.isTensor) throw new Error(`${meta.name} is not a tensor`);
    const declared = meta.shape.map((d) => (typeof d === 'number' ? d : dims[d]));
    expect([meta.name, (out[meta.name] as ort.Tensor).dims]).toEqual([meta.name, declared]);
  }
  for (const meta of f.session.inputMetadata) {
    if (meta.isTensor && meta.name.startsWith('past_key_values.')) expect(meta.shape).toEqual(['batch', f.config.numKvHeads, 'past_seq', f.config.headDim]);
  }
}

function randomIds(seed: number, batch: number, seq: number, vocab: number): number[][] {
  const random = seededRandom(seed);
  return Array.from({ length: batch }, () => Array.from({ length: seq }, () => Math.floor(random() * vocab)));
}

/** Prompt of odd length `prompt` in a batch of 2 (one left-padded row), then 5 decode steps through the cache. */
async function checkPromptAndDecode(f: Fixture, tolerance: number, prompt = 7): Promise<void> {
  const { vocabSize: vocab } = f.config;
  const steps = 5;
  const ids = randomIds(3, 2, prompt + steps, vocab);
  // Row 1 is left-padded by 3 (pads use id 0), as transformers.js pads a batch.
  const fullMask = [Array(prompt + steps).fill(1), [0, 0, 0, ...Array(prompt + steps - 3).fill(1)]];
  ids[1][0] = ids[1][1] = ids[1][2] = 0;
  const real = (b: number, s: number): boolean => fullMask[b][s] === 1;

  // Whole sequence in one run vs the float64 reference.
  const whole = await f.session.run({
    input_ids: int64(ids), attention_mask: int64(fullMask), position_ids: int64(positionsFromMask(fullMask, prompt + steps)), ...emptyPast(f, 2),
  });
  const logits = whole.logits as ort.Tensor;
  expect(logits.dims).toEqual([2, prompt + steps, vocab]);
  expect(logits.type).toBe(f.dtype);
  const expected = f.reference.forward({ inputIds: ids, attentionMask: fullMask, positionIds: positionsFromMask(fullMask, prompt + steps) });
  expect(maxError(logits.data as Float32Array, expected.logits, 2, prompt + steps, vocab, real)).toBeLessThan(tolerance);
  checkDeclaredShapes(f, whole, { batch: 2, seq: prompt + steps, total_seq: prompt + steps });

  // Prompt, then one token at a time through the cache: every step equals the whole-sequence logits.
  const promptMask = fullMask.map((row) => row.slice(0, prompt));
  let out = await f.session.run({
    input_ids: int64(ids.map((r) => r.slice(0, prompt))), attention_mask: int64(promptMask),
    position_ids: int64(positionsFromMask(promptMask, prompt)), ...emptyPast(f, 2),
  });
  let refCache: ReferenceCache | undefined = f.reference.forward({ inputIds: ids.map((r) => r.slice(0, prompt)), attentionMask: promptMask, positionIds: positionsFromMask(promptMask, prompt) }).present;
  const wholeData = logits.data as Float32Array;
  for (let step = 0; step < steps; step++) {
    const at = prompt + step;
    const mask = fullMask.map((row) => row.slice(0, at + 1));
    const stepIds = ids.map((r) => [r[at]]);
    const positions = positionsFromMask(mask, 1);
    out = await f.session.run({ input_ids: int64(stepIds), attention_mask: int64(mask), position_ids: int64(positions), ...presentsAsPast(f, out) });
    const stepLogits = out.logits as ort.Tensor;
    expect(stepLogits.dims).toEqual([2, 1, vocab]);
    const wholeRows = new Float64Array(2 * vocab);
    for (let b = 0; b < 2; b++) wholeRows.set(wholeData.subarray((b * (prompt + steps) + at) * vocab, (b * (prompt + steps) + at + 1) * vocab), b * vocab);
    expect(maxError(stepLogits.data as Float32Array, wholeRows, 2, 1, vocab, () => true)).toBeLessThan(tolerance);
    const refStep = f.reference.forward({ inputIds: stepIds, attentionMask: mask, positionIds: positions, past: refCache });
    refCache = refStep.present;
    expect(maxError(stepLogits.data as Float32Array, refStep.logits, 2, 1, vocab, () => true)).toBeLessThan(tolerance);
  }
}

describe('decoder graph vs float64 reference', () => {
  it('qwen2 with GQA, q/k/v bias and tied embeddings: prompt and 5 cached steps', async () => {
    const f = await makeFixture('qwen2', tinyConfigJson('qwen2', { tie_word_embeddings: true }));
    expect(f.config.qkvBias).toBe(true);
    await checkPromptAndDecode(f, 1e-4);
    await f.session.release();
  });

  it('llama with llama3 rope scaling (original context 16), GQA 4:1, head_dim 16: prompt and 5 cached steps', async () => {
    const f = await makeFixture('llama', tinyConfigJson('llama', { hidden_size: 64, num_key_value_heads: 1, rope_scaling: {
      rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 16,
    } }));
    expect(f.config.headDim).toBe(16);
    await checkPromptAndDecode(f, 1e-4, 19); // positions run to 23, past the original context of 16

    await f.session.release();
  });

  it('the embedding hook makes the token lookup: a row-reversed table read at vocab − 1 − id gives the reference logits', async () => {
    let seen: EmbeddingContext | undefined;
    const reversedLookup: EmbeddingFn = (ctx) => {
      seen = ctx;
      const g = ctx.graph;
      const weight = ctx.weight();
      const [vocab, hidden] = weight.shape;
      const rows = weight.readFloat32();
      const reversed = new Float32Array(rows.length);
      for (let r = 0; r < vocab; r++) reversed.set(rows.subarray(r * hidden, (r + 1) * hidden), (vocab - 1 - r) * hidden);
      const table = g.initializer('reversed_embeddings', { dtype: 'float32', dims: [vocab, hidden], data: reversed });
      return op.gather(g, table, op.sub(g, g.scalar('int64', vocab - 1), ctx.ids)); // [batch, seq, hidden]
    };
    const f = await makeFixture('embedding-hook', tinyConfigJson('qwen2'), { embedding: reversedLookup });
    expect(seen).toMatchObject({ name: 'model.embed_tokens.weight', dtype: 'float32', ids: { name: 'input_ids' } });
    await checkPromptAndDecode(f, 1e-4);
    await f.session.release();
  });

  it('float64 graph matches the reference to 1e-9', async () => {
    const f = await makeFixture('llama64', tinyConfigJson('llama', { attention_bias: true }), { dtype: 'float64' });
    await checkPromptAndDecode(f, 1e-9);
    await f.session.release();
  });

  it('segments mask keeps packed records apart (training graph without a cache)', async () => {
    const json = tinyConfigJson('qwen2');
    const f = await makeFixture('segments', json, { kvCache: false, maskMode: 'segments' });
    expect(f.session.inputNames).toEqual(['input_ids', 'attention_mask', 'position_ids']);
    expect(f.session.outputNames).toEqual(['logits']);
    const vocab = f.config.vocabSize;
    const ids = randomIds(11, 1, 9, vocab);
    const segments = [[1, 1, 1, 2, 2, 2, 2, 0, 0]];
    const positions = [[0, 1, 2, 0, 1, 2, 3, 0, 0]];
    const out = await f.session.run({ input_ids: int64(ids), attention_mask: int64(segments), position_ids: int64(positions) });
    const logits = out.logits.data as Float32Array;
    const expected = f.reference.forward({ inputIds: ids, attentionMask: segments, positionIds: positions, maskMode: 'segments' });
    expect(maxError(logits, expected.logits, 1, 9, vocab, (_, s) => segments[0][s] !== 0)).toBeLessThan(1e-4);
    // The second record alone gives the same logits as inside the pack.
    const alone = await f.session.run({ input_ids: int64([ids[0].slice(3, 7)]), attention_mask: int64([[1, 1, 1, 1]]), position_ids: int64([[0, 1, 2, 3]]) });
    const aloneData = alone.logits.data as Float32Array;
    expect(maxError(aloneData, logits.subarray(3 * vocab, 7 * vocab), 1, 4, vocab, () => true)).toBeLessThan(1e-5);
    await f.session.release();
  });
});

describe('rotary frequencies', () => {
  it('llama3 remap matches the reference transcription and hand values', () => {
    const config = parseModelConfig(tinyConfigJson('llama', { hidden_size: 64 }));
    const ours = Array.from(ropeInverseFrequencies(config));
    const theirs = referenceInverseFrequencies(config);
    ours.forEach((v, i) => expect(v).toBeCloseTo(theirs[i], 15));
    // i = 0: inv_freq 1, wavelen 2π ∈ [4, 16] → medium band: smooth = (16/2π − 1)/3.
    const smooth = (16 / (2 * Math.PI) - 1) / 3;
    expect(ours[0]).toBeCloseTo((1 - smooth) / 8 + smooth, 14);
    // i = 1: wavelen 2π·500000^(1/8) ≈ 32.8 > 16 → divided by the factor 8.
    expect(ours[1]).toBeCloseTo(500000 ** (-2 / 16) / 8, 14);
    const plain = parseModelConfig(tinyConfigJson('qwen2'));
    expect(Array.from(ropeInverseFrequencies(plain))).toEqual(Array.from({ length: 4 }, (_, i) => 1 / 10000 ** ((2 * i) / 8)));
  });
});

/**
 * Whole LoRA training graphs of tiny qwen2/llama decoders: finite differences through ORT in float64, forward
 * equality with the merged model (B ≠ 0), and isolation of packed records.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { type ModelConfig, parseModelConfig } from '../model/config';
import { buildDecoder } from '../model/decoder';
import { randomWeights, type TensorRecord, tinyConfigJson } from '../testing/tiny-checkpoint';
import { memoryWeights } from '../model/weights';
import { serializeModel } from '../onnx/write';
import { LORA_MODULES, type LoraSettings } from './adapter';
import { checkTrainingGraph, type FeedTensor } from '../testing/gradcheck';
import { staticShapeMismatches } from '../testing/static-shapes';
import { buildTrainingGraph, type TrainableTensor, type TrainingGraph } from './lora-graph';
import { mergeLora } from './merge';
import { Rng } from './rng';
import { sourceToFloat32 } from './runner';

const lora: LoraSettings = { rank: 4, alpha: 8, targets: [...LORA_MODULES] };

/** Row 0 packs two records (segments 1 and 2); row 1 holds one record then padding. */
function batchFeeds(vocab: number): Record<string, FeedTensor> {
  const rng = new Rng(5);
  const ids = Array.from({ length: 14 }, () => 3 + Math.floor(rng.next() * (vocab - 3)));
  const segments = [1, 1, 1, 2, 2, 2, 2, 1, 1, 1, 1, 1, 0, 0];
  const positions = [0, 1, 2, 0, 1, 2, 3, 0, 1, 2, 3, 4, 0, 0];
  const weights = [0.5, 1, 0, 0.25, 1, 1, 0.7, 0, 1, 1, 0.5, 0, 0, 0];
  const i64 = (v: number[]): FeedTensor => ({ dtype: 'int64', dims: [2, 7], data: BigInt64Array.from(v.map(BigInt)) });
  return {
    input_ids: i64(ids), attention_mask: i64(segments), position_ids: i64(positions),
    loss_weights: { dtype: 'float32', dims: [2, 7], data: Float32Array.from(weights) },
  };
}

function loraValues(trainables: TrainableTensor[], seed: number): Map<string, Float64Array> {
  const rng = new Rng(seed);
  return new Map(trainables.map((t) => [t.name, Float64Array.from({ length: t.shape[0] * t.shape[1] }, () => rng.uniform(-0.3, 0.3))]));
}

async function runLoss(graphBytes: Uint8Array, feeds: Record<string, ort.Tensor>, output = 'loss'): Promise<ort.Tensor> {
  const session = await ort.InferenceSession.create(graphBytes, { graphOptimizationLevel: 'disabled' }); // double kernels only
  try {
    return (await session.run(feeds))[output];
  } finally {
    await session.release();
  }
}

const toOrt = (feeds: Record<string, FeedTensor>) => Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, new ort.Tensor(t.dtype, t.data, t.dims)]));

/**
 * The forward-only LoRA graph's loss with random A/B (seeded), and the same loss computed independently: the adapter
 * merged into the base weights, the plain decoder run, the weighted NLL computed here.
 */
async function trainedAndMergedLoss(config: ModelConfig, weights: TensorRecord, training: TrainingGraph, seed: number) {
  const values = loraValues(training.trainables, seed);
  const feeds = batchFeeds(config.vocabSize);
  const loraFeeds: Record<string, ort.Tensor> = {};
  for (const t of training.trainables) loraFeeds[t.name] = new ort.Tensor('float64', values.get(t.name)!, t.shape);
  const trainedLoss = Number((await runLoss(await serializeModel(training.graph), { ...toOrt(feeds), ...loraFeeds })).data[0]);
  const adapter = new Map(training.trainables.map((t) => [t.name, { shape: t.shape, data: Float32Array.from(values.get(t.name)!) }]));
  const decoder = buildDecoder(config, memoryWeights(mergeLora(weights, adapter, training.scaling)), { dtype: 'float64', kvCache: false, maskMode: 'segments' });
  const { input_ids, attention_mask, position_ids } = toOrt(feeds);
  const logits = await runLoss(await serializeModel(decoder.graph), { input_ids, attention_mask, position_ids }, 'logits');
  return { trainedLoss, mergedLoss: weightedNll(logits.data as Float64Array, feeds, config.vocabSize) };
}

describe.each(['qwen2', 'llama'] as const)('LoRA training graph (%s)', (arch) => {
  const json = tinyConfigJson(arch);
  const config = parseModelConfig(json);
  const weights = randomWeights(json, 3);

  it('gradients of every LoRA tensor match finite differences (float64, relative error ≤ 1e-5)', async () => {
    const training = buildTrainingGraph(config, memoryWeights(weights), { dtype: 'float64', lora });
    expect(training.trainables).toHaveLength(config.numLayers * 7 * 2);
    const values = loraValues(training.trainables, 9); // B ≠ 0, so A has a gradient too
    const params = training.trainables.map((t) => ({
      value: { name: t.name }, init: { dtype: 'float64' as const, dims: t.shape, data: values.get(t.name)! },
    }));
    const result = await checkTrainingGraph(training.graph, params, batchFeeds(config.vocabSize), { h: 1e-5, directions: 1, floor: 1e-6 });
    expect(result.maxRelError, JSON.stringify(result.details.filter((d) => d.relError > 1e-6))).toBeLessThanOrEqual(1e-5);
    expect(result.details.every((d) => Math.abs(d.analytic) > 1e-6)).toBe(true);
  });

  it('gradients match finite differences with the loss computed in chunks of 4 positions (2 × 7 = 14 positions)', async () => {
    const lossChunking = { positions: 4, maxPositions: 12 }; // chunks of 4, 4 and the remaining 6
    const training = buildTrainingGraph(config, memoryWeights(weights), { dtype: 'float64', lora, lossChunking });
    expect(training.graph.nodes.filter((n) => n.opType === 'LogSoftmax')).toHaveLength(3);
    const values = loraValues(training.trainables, 9);
    const params = training.trainables.map((t) => ({
      value: { name: t.name }, init: { dtype: 'float64' as const, dims: t.shape, data: values.get(t.name)! },
    }));
    const result = await checkTrainingGraph(training.graph, params, batchFeeds(config.vocabSize), { h: 1e-5, directions: 1, floor: 1e-6 });
    expect(result.maxRelError, JSON.stringify(result.details.filter((d) => d.relError > 1e-6))).toBeLessThanOrEqual(1e-5);
  });

  it('every value of the training graph (forward, loss head, backward) has the static shape ORT computes', async () => {
    const training = buildTrainingGraph(config, memoryWeights(weights), { dtype: 'float64', lora, lossChunking: { positions: 4, maxPositions: 12 } });
    const values = loraValues(training.trainables, 9);
    const feeds: Record<string, ort.Tensor> = toOrt(batchFeeds(config.vocabSize));
    for (const t of training.trainables) feeds[t.name] = new ort.Tensor('float64', values.get(t.name)!, t.shape);
    const sizes = { batch: 2, seq: 7, chunk_0: 4, chunk_1: 4, chunk_2: 6 };
    const { mismatches, compared } = await staticShapeMismatches(training.graph, feeds, sizes);
    expect(mismatches).toEqual([]);
    expect(compared).toBeGreaterThan(300);
  });

  it('with B ≠ 0 the training graph\'s loss equals the merged model\'s (W + scaling·B·A)', async () => {
    const training = buildTrainingGraph(config, memoryWeights(weights), { dtype: 'float64', lora, forwardOnly: true });
    const { trainedLoss, mergedLoss } = await trainedAndMergedLoss(config, weights, training, 21);
    // A/B pass through float32 in the merge (the adapter format), so compare at float32 precision
    expect(Math.abs(trainedLoss - mergedLoss) / Math.abs(mergedLoss)).toBeLessThan(1e-6);
  });

  it('packed records never see each other: a packed row\'s loss is the sum of each record alone', async () => {
    const training = buildTrainingGraph(config, memoryWeights(weights), { dtype: 'float64', lora, forwardOnly: true });
    const values = loraValues(training.trainables, 4);
    const bytes = await serializeModel(training.graph);
    const loraFeeds: Record<string, ort.Tensor> = {};
    for (const t of training.trainables) loraFeeds[t.name] = new ort.Tensor('float64', values.get(t.name)!, t.shape);
    const row = (ids: number[], seg: number[], pos: number[], w: number[]) => {
      const i64 = (v: number[]) => new ort.Tensor('int64', BigInt64Array.from(v.map(BigInt)), [1, v.length]);
      return { input_ids: i64(ids), attention_mask: i64(seg), position_ids: i64(pos), loss_weights: new ort.Tensor('float32', Float32Array.from(w), [1, w.length]), ...loraFeeds };
    };
    const packed = Number((await runLoss(bytes, row([5, 9, 17, 30, 8, 41], [1, 1, 1, 2, 2, 2], [0, 1, 2, 0, 1, 2], [1, 1, 0, 1, 1, 0]))).data[0]);
    const first = Number((await runLoss(bytes, row([5, 9, 17], [1, 1, 1], [0, 1, 2], [1, 1, 0]))).data[0]);
    const second = Number((await runLoss(bytes, row([30, 8, 41], [1, 1, 1], [0, 1, 2], [1, 1, 0]))).data[0]);
    expect(packed).toBeCloseTo(first + second, 10);
  });
});

/** Σ w[t] · −log softmax(logits[t])[ids[t+1]] within each row (last position ignored). */
function weightedNll(logits: Float64Array, feeds: Record<string, FeedTensor>, vocab: number): number {
  const [rows, seq] = feeds.input_ids.dims;
  const ids = feeds.input_ids.data as BigInt64Array;
  const w = feeds.loss_weights.data as Float32Array;
  let loss = 0;
  for (let r = 0; r < rows; r++) {
    for (let t = 0; t < seq - 1; t++) {
      const i = r * seq + t;
      if (!w[i]) continue;
      const row = logits.subarray(i * vocab, (i + 1) * vocab);
      const max = Math.max(...row);
      const logSum = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
      loss += w[i] * (logSum - row[Number(ids[i + 1])]);
    }
  }
  return loss;
}

describe('LoRA training graph of a tied model', () => {
  it('reads lm_head from the embedding table itself, in the checkpoint\'s layout, and gives the merged model\'s loss', async () => {
    const json = tinyConfigJson('qwen2', { tie_word_embeddings: true });
    const config = parseModelConfig(json);
    const weights = randomWeights(json, 4);
    const training = buildTrainingGraph(config, memoryWeights(weights), { dtype: 'float64', lora, forwardOnly: true });
    // one [vocab, hidden] table, read by the Gather and by the loss head: no transposed or second copy
    const big = [...training.graph.initializers.values()].filter((i) => i.source.dims.includes(config.vocabSize));
    expect(big.map((i) => [i.value.name, i.source.dims])).toEqual([['model.embed_tokens.weight', [config.vocabSize, config.hiddenSize]]]);
    const { trainedLoss, mergedLoss } = await trainedAndMergedLoss(config, weights, training, 22);
    expect(Math.abs(trainedLoss - mergedLoss) / Math.abs(mergedLoss)).toBeLessThan(1e-6);
  });
});

describe('mixed precision (float16 frozen base, float32 LoRA and loss)', () => {
  it('gives the float32 graph\'s loss and gradients to float16 accuracy', async () => {
    const json = tinyConfigJson('qwen2');
    const config = parseModelConfig(json);
    const weights = memoryWeights(randomWeights(json, 3));
    const feeds = toOrt(batchFeeds(config.vocabSize));
    const results = [];
    for (const dtype of ['float32', 'float16'] as const) {
      const training = buildTrainingGraph(config, weights, { dtype, lora });
      const values = loraValues(training.trainables, 9);
      const params: Record<string, ort.Tensor> = {};
      for (const t of training.trainables) params[t.name] = new ort.Tensor('float32', Float32Array.from(values.get(t.name)!), t.shape);
      const session = await ort.InferenceSession.create(await serializeModel(training.graph));
      results.push(await session.run({ ...feeds, ...params }));
      await session.release();
    }
    const [full, half] = results;
    expect(half.loss.type).toBe('float32');
    expect(Math.abs(Number(half.loss.data[0]) - Number(full.loss.data[0])) / Number(full.loss.data[0])).toBeLessThan(1e-2);
    for (const name of Object.keys(full).filter((k) => k.startsWith('grad:'))) {
      const [a, b] = [full[name].data as Float32Array, half[name].data as Float32Array];
      expect(half[name].type).toBe('float32');
      let dot = 0, na = 0, nb = 0;
      for (let i = 0; i < a.length; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
      expect(dot / Math.sqrt(na * nb), name).toBeGreaterThan(0.99);
    }
  });
});

describe('full fine-tuning graph', () => {
  it('gradients of every weight (embeddings, norms, biases, tied head) match finite differences', async () => {
    const json = tinyConfigJson('qwen2', { tie_word_embeddings: true, num_hidden_layers: 1 });
    const config = parseModelConfig(json);
    const tensors = randomWeights(json, 8);
    const training = buildTrainingGraph(config, memoryWeights(tensors), { dtype: 'float64', full: true });
    const names = training.trainables.map((t) => t.name);
    expect(names).toContain('model.embed_tokens.weight');
    expect(names).toContain('model.layers.0.self_attn.q_proj.bias');
    expect(names).not.toContain('lm_head.weight'); // tied: the head uses the embedding matrix itself
    const params = [];
    for (const t of training.trainables) {
      const data = await sourceToFloat32(training.initial.get(t.name)!);
      params.push({ value: { name: t.name }, init: { dtype: 'float64' as const, dims: t.shape, data: Float64Array.from(data) } });
    }
    const result = await checkTrainingGraph(training.graph, params, batchFeeds(config.vocabSize), { h: 1e-5, directions: 1, floor: 1e-6 });
    expect(result.maxRelError, JSON.stringify(result.details.filter((d) => d.relError > 1e-6))).toBeLessThanOrEqual(1e-5);
  });
});


/**
 * Engine handlers next to `train`: `train.estimate` measures one training micro-batch on this machine (after one
 * unmeasured warm-up run, with the real graph, precision and row length) and extrapolates memory and time to the
 * whole run; `train.merge` merges a PEFT adapter into its base and converts the result.
 */
import os from 'node:os';
import { dirname } from 'node:path';
import { EngineError, EngineErrorCode } from '../protocol';
import { registerHandler } from '../registry';
import type { LoraSettings } from '../../train/adapter';
import { initLoraTensors } from '../../train/adapter';
import { loadTrainingGraph } from '../../train/export-graph';
import { mergeAdapterIntoModel } from '../../train/merge-folder';
import { type PackedBatch, packBatch, type TrainingRecord } from '../../train/packing';
import { prepareTrainingData } from '../../train/data';
import { seededSplit } from '../../train/records';
import { OrtStepRunner } from '../../train/runner';
import { TRAIN_ERROR_CODE } from './train';

registerHandler('train.estimate', async (params, ctx) => {
  const loaded = await prepareTrainingData({ data: params.dataFile, modelFolder: params.modelFolder, outDir: dirname(params.dataFile), maxLen: params.config.seqLen, signal: ctx.signal })
    .then((prepared) => prepared.loaded)
    .catch((error: Error) => {
      throw new EngineError(TRAIN_ERROR_CODE, error.message);
    });
  if (!loaded.records.length) throw new EngineError(TRAIN_ERROR_CODE, `${params.dataFile} has no usable records.`);
  const { train, validation } = seededSplit(loaded.records, params.valFraction, params.splitSeed);
  const cfg = params.config;
  const perEpoch = microBatchCount(train, cfg.rowsPerBatch, cfg.seqLen);
  let steps = Math.ceil(perEpoch / cfg.gradAccumulation) * cfg.epochs;
  if (cfg.maxSteps) steps = Math.min(steps, cfg.maxSteps);
  const microBatches = Math.min(perEpoch * cfg.epochs, steps * cfg.gradAccumulation);
  const validationPasses = validation.length ? (cfg.validateEvery ? Math.floor(steps / cfg.validateEvery) : 0) + 1 : 0;
  const validationMicroBatches = validationPasses * microBatchCount(validation, cfg.rowsPerBatch, cfg.seqLen);

  const memory = new PeakRss();
  const rssBefore = process.memoryUsage().rss;
  const availableBytes = os.freemem() + rssBefore;
  const lora: LoraSettings = params.lora;
  const training = loadTrainingGraph(params.modelFolder, { lora, dtype: params.dtype === 'float16' ? 'float16' : 'float32', q4Base: params.dtype === 'q4' });
  const runner = await OrtStepRunner.create(training);
  try {
    const weights = initLoraTensors(training.trainables, 0);
    const batch = fullBatch(train, cfg.rowsPerBatch, cfg.seqLen);
    await runner.run(batch, weights); // warm-up: session initialisation and first allocations, not measured for time
    if (ctx.signal.aborted) throw new EngineError(EngineErrorCode.cancelled, 'Estimate cancelled.');
    const started = performance.now();
    await runner.run(batch, weights);
    const microBatchSeconds = (performance.now() - started) / 1000;
    // A forward-only validation batch costs about a third of a training micro-batch (no backward pass).
    const totalSeconds = microBatchSeconds * (microBatches + validationMicroBatches / 3);
    return {
      peakBytes: memory.stop(), availableBytes, microBatchSeconds, steps, microBatches, validationMicroBatches, totalSeconds,
      tokensPerSecond: (cfg.rowsPerBatch * cfg.seqLen) / microBatchSeconds,
    };
  } finally {
    memory.stop();
    await runner.release();
  }
});

/** How many packed micro-batches one pass over `records` makes (records in file order; packing is order-insensitive enough for a count). */
function microBatchCount(records: TrainingRecord[], rows: number, seqLen: number): number {
  const order = records.map((_, i) => i);
  let count = 0;
  for (let cursor = 0; cursor < order.length; ) {
    const packed = packBatch(records, order, cursor, rows, seqLen);
    cursor = packed.cursor;
    if (packed.batch.targetCount > 0) count++;
  }
  return count;
}

/** A batch with every row full of real tokens (records repeated), every position a target: the worst case. */
function fullBatch(records: TrainingRecord[], rows: number, seqLen: number): PackedBatch {
  const size = rows * seqLen;
  const tokens = records.flatMap((r) => r.inputIds);
  const batch: PackedBatch = {
    rows, seqLen, inputIds: new BigInt64Array(size), segmentIds: new BigInt64Array(size), positionIds: new BigInt64Array(size),
    lossWeights: new Float32Array(size), targetCount: 0,
  };
  for (let i = 0; i < size; i++) {
    const t = i % seqLen;
    batch.inputIds[i] = BigInt(tokens[i % tokens.length]);
    batch.segmentIds[i] = 1n;
    batch.positionIds[i] = BigInt(t);
    if (t + 1 < seqLen) batch.lossWeights[i] = 1 / size;
  }
  batch.targetCount = rows * (seqLen - 1);
  return batch;
}

/** Samples this process's resident memory while a step runs (ORT computes off the event loop). */
class PeakRss {
  private peak = process.memoryUsage().rss;
  private timer: NodeJS.Timeout | undefined = setInterval(() => this.sample(), 20);

  sample(): void {
    this.peak = Math.max(this.peak, process.memoryUsage().rss);
  }

  stop(): number {
    this.sample();
    clearInterval(this.timer);
    this.timer = undefined;
    return this.peak;
  }
}

registerHandler('train.merge', async (params, ctx) => {
  const started = Date.now();
  ctx.emit('progress', { fraction: 0.05, message: 'Merging the adapter into the base weights' });
  try {
    const result = await mergeAdapterIntoModel(params.baseFolder, params.adapterDir, params.outDir, { dtype: params.dtype, signal: ctx.signal });
    ctx.emit('progress', { fraction: 1, message: 'Merged' });
    return { outDir: result.outDir, seconds: (Date.now() - started) / 1000 };
  } catch (error) {
    if (ctx.signal.aborted) throw new EngineError(EngineErrorCode.cancelled, 'Merge cancelled; the partial output was removed.');
    throw new EngineError(TRAIN_ERROR_CODE, (error as Error).message);
  }
});

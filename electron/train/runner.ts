/**
 * Runs a training graph as an ordinary ORT inference session (ORT no longer ships a training API): feeds the
 * packed batch and the current trained tensors, fetches the loss and the gradients.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { isLazy, type TensorSource } from '../onnx/graph';
import { writeModel } from '../onnx/write';
import { f16ToF32Array } from '../util/float16';
import type { NamedTensor } from './adapter';
import type { TrainingGraph } from './lora-graph';
import type { PackedBatch } from './packing';
import type { StepRunner } from './trainer';

export interface RunnerOptions {
  executionProviders?: string[]; // default ['cpu']
  intraOpNumThreads?: number;
  /** Folder for the .onnx file and its weights (default: a temp folder removed on release). */
  workDir?: string;
  /**
   * Let ORT keep prepacked (re-laid-out) second copies of the frozen weights (default false). Prepacking saves a
   * repacking per MatMul call, but a training step runs each weight a few times over many rows, where the packing is
   * a small share, while the copies cost as much memory as the frozen weights themselves (`npm run bench -- train`).
   */
  prepackWeights?: boolean;
  /** ORT's CPU memory arena (default true): keeps freed activation memory for the next step instead of returning it. */
  memoryArena?: boolean;
}

export class OrtStepRunner implements StepRunner {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly training: TrainingGraph,
    private readonly cleanup: () => void,
  ) {}

  static async create(training: TrainingGraph, options: RunnerOptions = {}): Promise<OrtStepRunner> {
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      executionProviders: options.executionProviders ?? ['cpu'],
      graphOptimizationLevel: 'all',
      extra: { session: { disable_prepacking: options.prepackWeights ? '0' : '1' } },
      enableCpuMemArena: options.memoryArena ?? true,
    };
    if (options.intraOpNumThreads !== undefined) sessionOptions.intraOpNumThreads = options.intraOpNumThreads;
    const { session, cleanup } = await createGraphSession(training, 'train', sessionOptions, options.workDir);
    return new OrtStepRunner(session, training, cleanup);
  }

  async run(batch: PackedBatch, params: Map<string, NamedTensor>) {
    const names = ['loss', ...this.training.trainables.map((t) => `grad:${t.name}`)];
    const out = await this.session.run(this.feeds(batch, params), names);
    const grads = new Map<string, Float32Array>();
    for (const t of this.training.trainables) grads.set(t.name, toFloat32(out[`grad:${t.name}`]));
    return { loss: Number(out.loss.data[0]), grads };
  }

  async loss(batch: PackedBatch, params: Map<string, NamedTensor>): Promise<number> {
    const out = await this.session.run(this.feeds(batch, params), ['loss']);
    return Number(out.loss.data[0]);
  }

  async release(): Promise<void> {
    await this.session.release();
    this.cleanup();
  }

  private feeds(batch: PackedBatch, params: Map<string, NamedTensor>): Record<string, ort.Tensor> {
    const dims = [batch.rows, batch.seqLen];
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', batch.inputIds, dims),
      attention_mask: new ort.Tensor('int64', batch.segmentIds, dims),
      position_ids: new ort.Tensor('int64', batch.positionIds, dims),
      loss_weights: new ort.Tensor('float32', batch.lossWeights, dims),
    };
    return { ...feeds, ...trainableFeeds(this.training, params) };
  }
}

/**
 * Writes a training (or evaluation) graph with its weights into a work folder and opens it. The folder can hold GBs
 * of weights: it is removed on failure here, and by `cleanup` later, unless the caller gave its own `workDir`.
 */
export async function createGraphSession(
  training: TrainingGraph,
  name: string,
  sessionOptions: ort.InferenceSession.SessionOptions,
  workDir?: string,
): Promise<{ session: ort.InferenceSession; cleanup: () => void }> {
  const dir = workDir ?? mkdtempSync(join(tmpdir(), `distillery-${name}-`));
  const cleanup = workDir ? () => {} : () => rmSync(dir, { recursive: true, force: true });
  try {
    const file = join(dir, `${name}.onnx`);
    await writeModel(training.graph, file);
    return { session: await ort.InferenceSession.create(file, sessionOptions), cleanup };
  } catch (error) {
    cleanup();
    throw error;
  }
}

/** One input per trained tensor (LoRA factors or full weights), in the graph's precision. */
export function trainableFeeds(training: TrainingGraph, params: Map<string, NamedTensor>): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const t of training.trainables) {
    const value = params.get(t.name);
    if (!value) throw new Error(`no value for trained tensor '${t.name}'`);
    feeds[t.name] = t.dtype === 'float64'
      ? new ort.Tensor('float64', Float64Array.from(value.data), t.shape)
      : new ort.Tensor('float32', value.data, t.shape);
  }
  return feeds;
}

function toFloat32(tensor: ort.Tensor): Float32Array {
  const data = tensor.data;
  return data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
}

/** The float32 values of a graph tensor source (full fine-tuning's starting weights). */
export async function sourceToFloat32(source: TensorSource): Promise<Float32Array> {
  if (!isLazy(source)) {
    const data = source.data;
    if (source.dtype === 'float16') return f16ToF32Array(data as Uint16Array);
    return data instanceof Float32Array ? data.slice() : Float32Array.from(data as ArrayLike<number>);
  }
  const bytes = await source.bytes();
  const aligned = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  switch (source.dtype) {
    case 'float32': return new Float32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4).slice();
    case 'float64': return Float32Array.from(new Float64Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 8));
    case 'float16': return f16ToF32Array(new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 2));
    default: throw new Error(`cannot train a ${source.dtype} tensor`);
  }
}

/**
 * The training loop (runs in the engine process): seeded data order, packing, gradient accumulation with 1/N token
 * weights, global-norm clipping, AdamW with warm-up + cosine, periodic validation, checkpoints with exact resume, and
 * a clean stop on a non-finite loss or gradient that keeps the last good checkpoint.
 */
import type { NamedTensor, PeftAdapterConfig } from './adapter';
import { type Checkpoint, type LoopState, latestCheckpointDir, loadCheckpoint, saveCheckpoint } from './checkpoint';
import { type AdamWConfig, adamwStep, clipGradNorm, defaultAdamW, newAdamWState } from './optim';
import { type PackedBatch, type TrainingRecord, packBatch, scaleWeights } from './packing';
import { Rng, type RngState } from './rng';
import { lrAt } from './schedule';

/** Runs the training graph: loss and the gradient of every trainable tensor (forward only when grads are not needed). */
export interface StepRunner {
  run(batch: PackedBatch, params: Map<string, NamedTensor>): Promise<{ loss: number; grads: Map<string, Float32Array> }>;
  loss(batch: PackedBatch, params: Map<string, NamedTensor>): Promise<number>;
}

export interface TrainConfig {
  seed: number;
  epochs: number;
  maxSteps?: number; // stop after this many optimizer steps (default: epochs worth)
  rowsPerBatch: number;
  seqLen: number;
  gradAccumulation: number;
  lr: number;
  warmupSteps: number;
  minLrRatio?: number;
  adamw?: Partial<AdamWConfig>;
  maxGradNorm?: number; // 0 = no clipping (default 1)
  validateEvery?: number; // optimizer steps (0 = only at the end)
  checkpointEvery?: number; // optimizer steps (0 = only at the end)
  keepCheckpoints?: number;
}

export type TrainEvent =
  | { type: 'step'; step: number; totalSteps: number; loss: number; lr: number; gradNorm: number; tokens: number; epoch: number }
  | { type: 'validation'; step: number; loss: number }
  | { type: 'checkpoint'; step: number; dir: string }
  /** The checkpoint's curves come along: events of the steps trained after a stop was asked may never have been seen. */
  | { type: 'resumed'; step: number; dir: string; history?: LoopState['history']; validation?: LoopState['validation'] };

export interface TrainJob {
  records: TrainingRecord[];
  validation?: TrainingRecord[];
  /** Initial trainable tensors (LoRA A/B or full weights); ignored when resuming from a checkpoint. */
  params: Map<string, NamedTensor>;
  runner: StepRunner;
  config: TrainConfig;
  checkpointDir: string;
  adapterConfig?: PeftAdapterConfig; // makes every checkpoint a loadable PEFT adapter folder
  resume?: boolean;
  signal?: AbortSignal;
  onEvent?: (event: TrainEvent) => void;
  /** Runs after each optimizer step (and its validation), before the checkpoint: periodic sample answers. `last` is the final step. */
  afterStep?: (step: number, params: Map<string, NamedTensor>, last: boolean) => Promise<void>;
}

export type TrainOutcome =
  | { status: 'completed' | 'cancelled'; params: Map<string, NamedTensor>; loop: LoopState; checkpoint?: string }
  | { status: 'diverged'; message: string; loop: LoopState; checkpoint?: string };

export async function train(job: TrainJob): Promise<TrainOutcome> {
  const cfg = job.config;
  if (!job.records.some((r) => r.targetMask.some((m, t) => t > 0 && m))) {
    throw new Error('no training records with target tokens: check that the data set has completions to learn');
  }
  const adamw = { ...defaultAdamW, ...cfg.adamw };
  const state = startState(job);
  const rng = new Rng(state.loop.rng);
  const { params, optimizer, loop } = state;
  let lastCheckpoint = job.resume ? latestCheckpointDir(job.checkpointDir) : undefined;
  let savedStep = lastCheckpoint ? loop.step : -1;
  const save = (): string => {
    lastCheckpoint = saveCheckpoint(job.checkpointDir, { params, optimizer, loop: { ...loop, rng: rng.state() } }, job.adapterConfig, cfg.keepCheckpoints ?? 2);
    savedStep = loop.step;
    job.onEvent?.({ type: 'checkpoint', step: loop.step, dir: lastCheckpoint });
    return lastCheckpoint;
  };

  while (loop.step < loop.totalSteps) {
    const micro = nextMicroBatches(job, loop, rng);
    if (micro.length === 0) {
      if (loop.cursor >= loop.order.length && loop.epoch + 1 < job.config.epochs) continue;
      break; // data exhausted
    }
    const targets = micro.reduce((n, b) => n + b.targetCount, 0);
    const { loss, grads } = await accumulate(job.runner, micro, params, targets);
    const gradNorm = clipGradNorm(grads, cfg.maxGradNorm ?? 1);
    if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
      const message = `training stopped at step ${loop.step + 1}: the ${Number.isFinite(loss) ? 'gradient norm' : 'loss'} is not finite ` +
        `(try a lower learning rate). ${lastCheckpoint ? `The last good checkpoint is kept: ${lastCheckpoint}` : 'No checkpoint was written yet.'}`;
      return { status: 'diverged', message, loop, checkpoint: lastCheckpoint };
    }
    const lr = lrAt(loop.step, { baseLr: cfg.lr, warmupSteps: cfg.warmupSteps, totalSteps: loop.totalSteps, minLrRatio: cfg.minLrRatio });
    adamwStep(dataOf(params), grads, optimizer, adamw, lr);
    loop.step += 1;
    loop.history.push({ step: loop.step, loss, lr, gradNorm });
    job.onEvent?.({ type: 'step', step: loop.step, totalSteps: loop.totalSteps, loss, lr, gradNorm, tokens: targets, epoch: loop.epoch });
    const finished = loop.step >= loop.totalSteps;
    if (job.validation?.length && (finished || every(cfg.validateEvery, loop.step))) {
      const validationLoss = await validationLossOf(job, params);
      loop.validation.push({ step: loop.step, loss: validationLoss });
      job.onEvent?.({ type: 'validation', step: loop.step, loss: validationLoss });
    }
    if (!(job.signal?.aborted ?? false)) await job.afterStep?.(loop.step, params, finished);
    const cancelled = job.signal?.aborted ?? false;
    if (finished || cancelled || every(cfg.checkpointEvery, loop.step)) save();
    if (cancelled) return { status: 'cancelled', params, loop, checkpoint: lastCheckpoint };
  }
  if (savedStep !== loop.step) save();
  return { status: 'completed', params, loop, checkpoint: lastCheckpoint };
}

const every = (n: number | undefined, step: number): boolean => !!n && n > 0 && step % n === 0;

function dataOf(params: Map<string, NamedTensor>): Map<string, Float32Array> {
  return new Map([...params].map(([k, t]) => [k, t.data]));
}

/** A fresh start (seeded order for epoch 0 and the planned number of steps) or the latest checkpoint. */
function startState(job: TrainJob): Checkpoint {
  if (job.resume) {
    const dir = latestCheckpointDir(job.checkpointDir);
    if (dir) {
      const checkpoint = loadCheckpoint(dir);
      job.onEvent?.({ type: 'resumed', step: checkpoint.loop.step, dir, history: checkpoint.loop.history, validation: checkpoint.loop.validation });
      return checkpoint;
    }
  }
  const rng = new Rng(job.config.seed);
  const order = rng.permutation(job.records.length);
  const params = new Map([...job.params].map(([k, t]) => [k, { shape: t.shape, data: t.data.slice() }]));
  const loop: LoopState = {
    step: 0, totalSteps: plannedSteps(job, order, rng.state()), epoch: 0, cursor: 0, order, rng: rng.state(), history: [], validation: [],
  };
  return { params, optimizer: newAdamWState(dataOf(params)), loop };
}

/**
 * Optimizer steps in the run: for each epoch (orders drawn from a copy of the RNG, exactly as the loop will draw
 * them), ceil(micro-batches / accumulation) — a step never spans two epochs. maxSteps caps it.
 */
function plannedSteps(job: TrainJob, firstOrder: number[], rngState: RngState): number {
  const cfg = job.config;
  const rng = new Rng(rngState);
  let total = 0;
  for (let epoch = 0; epoch < cfg.epochs; epoch++) {
    const order = epoch === 0 ? firstOrder : rng.permutation(job.records.length);
    let micro = 0;
    for (let cursor = 0; cursor < order.length; ) {
      const packed = packBatch(job.records, order, cursor, cfg.rowsPerBatch, cfg.seqLen);
      cursor = packed.cursor;
      if (packed.batch.targetCount > 0) micro++;
    }
    total += Math.ceil(micro / Math.max(1, cfg.gradAccumulation));
  }
  return cfg.maxSteps ? Math.min(cfg.maxSteps, total) : total;
}

/** The next `gradAccumulation` packed micro-batches of this epoch; at an epoch's end, a new seeded order. */
function nextMicroBatches(job: TrainJob, loop: LoopState, rng: Rng): PackedBatch[] {
  if (loop.cursor >= loop.order.length) {
    if (loop.epoch + 1 >= job.config.epochs && !job.config.maxSteps) return [];
    loop.epoch += 1;
    loop.order = rng.permutation(job.records.length);
    loop.cursor = 0;
  }
  const batches: PackedBatch[] = [];
  while (batches.length < Math.max(1, job.config.gradAccumulation) && loop.cursor < loop.order.length) {
    const { batch, cursor } = packBatch(job.records, loop.order, loop.cursor, job.config.rowsPerBatch, job.config.seqLen);
    loop.cursor = cursor;
    if (batch.targetCount > 0) batches.push(batch);
  }
  return batches;
}

/** Σ over micro-batches with weights 1/N (N = target tokens in the whole step): the mean token NLL and its gradient. */
async function accumulate(runner: StepRunner, micro: PackedBatch[], params: Map<string, NamedTensor>, targets: number) {
  let loss = 0;
  const grads = new Map<string, Float32Array>();
  for (const batch of micro) {
    const out = await runner.run(scaleWeights(batch, 1 / targets), params);
    loss += out.loss;
    for (const [name, g] of out.grads) {
      const sum = grads.get(name);
      if (!sum) grads.set(name, Float32Array.from(g));
      else for (let i = 0; i < g.length; i++) sum[i] += g[i];
    }
  }
  return { loss, grads };
}

/** Mean token NLL over the validation records in a fixed order. */
export async function validationLossOf(job: Pick<TrainJob, 'validation' | 'runner' | 'config'>, params: Map<string, NamedTensor>): Promise<number> {
  const records = job.validation ?? [];
  const order = records.map((_, i) => i);
  const batches: PackedBatch[] = [];
  for (let cursor = 0; cursor < order.length; ) {
    const packed = packBatch(records, order, cursor, job.config.rowsPerBatch, job.config.seqLen);
    cursor = packed.cursor;
    batches.push(packed.batch);
  }
  const targets = batches.reduce((n, b) => n + b.targetCount, 0);
  let loss = 0;
  for (const batch of batches) if (batch.targetCount) loss += await job.runner.loss(scaleWeights(batch, 1 / Math.max(1, targets)), params);
  return loss;
}

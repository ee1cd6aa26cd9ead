/**
 * A fine-tuning run as a job: the pausable job kind 'train' on the training engine (its own process). The job's
 * saved params are only the run id; everything else is in the run's row, so a run resumes after a pause, a cancel, or
 * an app or engine that died — always from its latest checkpoint (the engine's `train` with resume: true). Every
 * step, validation, sample and evaluation event is recorded in the run's history as it arrives.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { RunDetail, RunState, RunSummary } from '../contract/finetune';
import type { JobState, TrainRunRecord } from '../store';
import type { TrainJobResult } from '../engine/handlers/train';
import type { EngineHost } from '../engine/host';
import type { ExtraEvent } from '../train/run-extras';
import type { TrainEvent } from '../train/trainer';
import type { ServiceContext } from './context';
import { ApiError } from './errors';
import type { EngineJobSpec, JobProgress } from './jobs-runner';

export type RunConfig = RunDetail['config'];

/** Share of the bar for training; evaluation (greedy answers, slow on a CPU) gets the rest. */
const TRAIN_SHARE = 0.9;
const MAX_SAMPLES = 50;
const UPDATE_EVERY_MS = 150;

type ProgressEvent =
  | (TrainEvent & { tokensPerSecond?: number })
  | ExtraEvent
  | { type: 'records'; train: number; validation: number; skipped: number; truncated: number };

/** The engine process that trains: its own when the app made one (the desktop app and `serve` do). */
export function trainEngineOf(ctx: ServiceContext): EngineHost {
  return ctx.trainEngine ?? ctx.engine;
}

export function runDataFile(run: Pick<TrainRunRecord, 'outDir'>): string {
  return path.join(run.outDir, 'data.jsonl');
}

/** The engine params of a run: the same on every (re)start, with resume on — a run without a checkpoint starts fresh. */
export function trainEngineParams(run: TrainRunRecord): Record<string, unknown> {
  const config = run.config as RunConfig;
  const h = config.hyper;
  const plannedSteps = Math.max(1, (run.records as { plannedSteps?: number } | undefined)?.plannedSteps ?? 1);
  const every = Math.max(1, Math.min(50, Math.ceil(plannedSteps / 20)));
  return {
    modelFolder: run.checkpoint,
    dataFile: runDataFile(run),
    outDir: run.outDir,
    lora: { rank: h.rank, alpha: h.alpha, targets: h.targets },
    dtype: h.precision === 'fp16' ? 'float16' : h.precision === 'q4' ? 'q4' : 'float32',
    resume: true,
    valFraction: config.valFraction,
    splitSeed: config.seed,
    sample: { every: config.caps.sampleEvery, maxNewTokens: config.caps.maxNewTokens },
    evaluation: { questions: config.caps.evalQuestions, maxNewTokens: config.caps.maxNewTokens },
    config: {
      seed: config.seed, epochs: h.epochs, ...(h.maxSteps ? { maxSteps: h.maxSteps } : {}), rowsPerBatch: h.batch, seqLen: h.maxLength,
      gradAccumulation: h.accumulation, lr: h.lr, warmupSteps: Math.max(1, Math.round(plannedSteps * 0.05)), minLrRatio: 0.1,
      maxGradNorm: 1, validateEvery: every, checkpointEvery: every,
    },
  };
}

/** Optimizer steps a run will take, as planned before the engine packs the records (for schedule and checkpoints). */
export function plannedStepCount(trainExamples: number, hyper: RunConfig['hyper']): number {
  const steps = Math.ceil(trainExamples / (hyper.batch * hyper.accumulation)) * hyper.epochs;
  return Math.max(1, hyper.maxSteps ? Math.min(hyper.maxSteps, steps) : steps);
}

export function trainJobSpec(ctx: ServiceContext, runId: string): EngineJobSpec<TrainJobResult> {
  const run = ctx.store.trainRuns.get(runId);
  if (!run) throw new ApiError('not_found', `There is no fine-tuning run ${runId}.`);
  if (!fs.existsSync(runDataFile(run))) {
    throw new ApiError('bad_request', `The training data of run “${run.name}” (${runDataFile(run)}) is gone: start a new run.`);
  }
  const recorder = new RunRecorder(ctx, runId);
  return {
    kind: 'train',
    title: `Fine-tune ${run.baseName}: ${run.name}`,
    params: { runId },
    method: 'train',
    engineParams: trainEngineParams(run),
    engine: trainEngineOf(ctx),
    pausable: true,
    progress: (data, elapsedMs) => recorder.record(data as ProgressEvent, elapsedMs),
    onSuccess: (result) => {
      ctx.store.trainRuns.update(runId, { adapterPath: result.output, phase: null, step: result.steps, ...(result.evaluation ? { evaluation: result.evaluation } : {}) });
      recorder.flush();
      return { message: `Trained ${result.steps} steps; the adapter is in ${result.output}.`, result: { runId, adapter: result.output } };
    },
  };
}

/** Writes one run's events into its history and tells the screen (throttled) that it changed. */
class RunRecorder {
  private startStep: number | undefined;
  private lastUpdate = 0;

  constructor(private readonly ctx: ServiceContext, private readonly runId: string) {}

  record(event: ProgressEvent, elapsedMs: number): JobProgress | undefined {
    const runs = this.ctx.store.trainRuns;
    switch (event.type) {
      case 'records': {
        const run = runs.get(this.runId);
        runs.update(this.runId, { records: { ...(run?.records as object), train: event.train, validation: event.validation } });
        return undefined;
      }
      case 'resumed':
        this.restoreCurves(event);
        runs.update(this.runId, { step: event.step, phase: `Resumed from step ${event.step}` });
        this.startStep = event.step;
        this.flush();
        return undefined;
      case 'step':
        return this.step(event, elapsedMs);
      case 'validation':
        runs.addValidation(this.runId, event.step, event.loss);
        this.flush();
        return undefined;
      case 'sample': {
        const samples = ((runs.get(this.runId)?.samples as unknown[]) ?? []).slice(-(MAX_SAMPLES - 1));
        const { type: _type, ...sample } = event;
        runs.update(this.runId, { samples: [...samples, sample] });
        this.flush();
        return undefined;
      }
      case 'evaluating':
        runs.update(this.runId, { phase: `Evaluating ${event.done}/${event.total}` });
        this.flush();
        return { fraction: TRAIN_SHARE + (1 - TRAIN_SHARE) * (event.total ? event.done / event.total : 1), message: `Evaluating on validation questions: ${event.done}/${event.total}` };
      case 'evaluated':
        runs.update(this.runId, { evaluation: event.evaluation, phase: null });
        this.flush();
        return undefined;
      default:
        return undefined;
    }
  }

  flush(): void {
    const run = this.ctx.store.trainRuns.get(this.runId);
    if (!run) return;
    this.lastUpdate = Date.now();
    this.ctx.events.emit('finetune.update', { runId: run.id, state: run.state, step: run.step, totalSteps: run.totalSteps });
  }

  /**
   * From the checkpoint on, steps are trained again: their old rows go. Steps up to it that were never recorded (the
   * engine stops sending events once a stop is asked) come back from the checkpoint's own history.
   */
  private restoreCurves(event: Extract<TrainEvent, { type: 'resumed' }>): void {
    const runs = this.ctx.store.trainRuns;
    runs.dropMetricsAfter(this.runId, event.step);
    const known = new Set(runs.metrics(this.runId).steps.map((m) => m.step));
    const now = Date.now();
    for (const h of event.history ?? []) {
      if (!known.has(h.step)) runs.addStep(this.runId, { step: h.step, loss: h.loss, lr: h.lr, gradNorm: h.gradNorm, tokens: 0, at: now });
    }
    for (const v of event.validation ?? []) runs.addValidation(this.runId, v.step, v.loss);
  }

  private step(event: Extract<TrainEvent, { type: 'step' }> & { tokensPerSecond?: number }, elapsedMs: number): JobProgress {
    this.startStep ??= event.step - 1;
    this.ctx.store.trainRuns.addStep(this.runId, {
      step: event.step, loss: event.loss, lr: event.lr, gradNorm: event.gradNorm, tokens: event.tokens, tokensPerSecond: event.tokensPerSecond, at: Date.now(),
    });
    this.ctx.store.trainRuns.update(this.runId, { step: event.step, totalSteps: event.totalSteps, phase: null });
    if (Date.now() - this.lastUpdate >= UPDATE_EVERY_MS || event.step === event.totalSteps) this.flush();
    const done = event.step - this.startStep;
    const left = event.totalSteps - event.step;
    const speed = event.tokensPerSecond ? ` · ${Math.round(event.tokensPerSecond)} tokens/s` : '';
    return {
      fraction: TRAIN_SHARE * (event.step / Math.max(1, event.totalSteps)),
      message: `Step ${event.step}/${event.totalSteps} · loss ${event.loss.toFixed(4)}${speed}`,
      etaSeconds: done > 0 ? (elapsedMs / done) * left / 1000 : undefined,
    };
  }
}

const RUN_STATE_OF_JOB: Record<JobState | 'paused', RunState> = {
  queued: 'running', running: 'running', paused: 'paused', succeeded: 'completed', failed: 'failed', cancelled: 'cancelled', interrupted: 'interrupted',
};

/** Keeps a run's state in step with its job's (the runner owns the job's life; the run mirrors it). */
export function mirrorJobStates(ctx: ServiceContext): () => void {
  return ctx.events.on('job.update', (job) => {
    if (job.kind !== 'train') return;
    const run = ctx.store.trainRuns.byJob(job.id);
    if (!run) return;
    const state = RUN_STATE_OF_JOB[job.state as JobState | 'paused'] ?? run.state;
    if (state === run.state && job.message === run.message) return;
    const updated = ctx.store.trainRuns.update(run.id, { state, message: job.message ?? null, ...(state === 'running' ? {} : { phase: null }) });
    if (updated) ctx.events.emit('finetune.update', { runId: run.id, state: updated.state, step: updated.step, totalSteps: updated.totalSteps });
  });
}

export function toRunSummary(run: TrainRunRecord, lastLoss?: number): RunSummary {
  const summary: RunSummary = {
    id: run.id, name: run.name, baseModelId: run.baseModelId, baseName: run.baseName, state: run.state, step: run.step,
    totalSteps: run.totalSteps, createdAt: run.createdAt, updatedAt: run.updatedAt,
  };
  if (run.jobId) summary.jobId = run.jobId;
  if (run.message) summary.message = run.message;
  if (lastLoss !== undefined) summary.lastLoss = lastLoss;
  if (run.adapterPath) summary.adapterPath = run.adapterPath;
  if (run.mergedModelId) summary.mergedModelId = run.mergedModelId;
  return summary;
}

export function toRunDetail(ctx: ServiceContext, run: TrainRunRecord): RunDetail {
  const { steps, validation } = ctx.store.trainRuns.metrics(run.id);
  const records = run.records as { train?: number; validation?: number; question?: string } | undefined;
  const detail: RunDetail = {
    ...toRunSummary(run, steps.at(-1)?.loss),
    config: run.config as RunConfig,
    checkpoint: run.checkpoint,
    outDir: run.outDir,
    metrics: steps,
    validation,
    samples: (run.samples as RunDetail['samples']) ?? [],
  };
  if (records?.train !== undefined && records.validation !== undefined) detail.records = { train: records.train, validation: records.validation };
  if (run.evaluation) detail.evaluation = run.evaluation as RunDetail['evaluation'];
  if (run.phase) detail.phase = run.phase;
  if (records?.question) detail.compareQuestion = records.question;
  return detail;
}

/**
 * finetune.* methods: base models, the import report of a trace folder, a measured estimate, runs (start, pause,
 * resume, cancel, history) and merging a run's adapter into a model that lands in Models as fine-tuned from its base.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Estimate, RunSummary } from '../contract/finetune';
import { formatBytes } from '../contract/units';
import type { EstimateResult } from '../contract/engine-train';
import type { EngineHost } from '../engine/host';
import { seededSplit } from '../train/records';
import type { ParsedInput, ServiceContext, ServiceModule } from './context';
import { ApiError } from './errors';
import { baseModelOf, checkDataFolder, prepareRunData } from './finetune-data';
import { mirrorJobStates, plannedStepCount, toRunDetail, toRunSummary, trainEngineOf, trainJobSpec, type RunConfig } from './finetune-runs';
import { runnerFor, type JobProgress } from './jobs-runner';
import { registryFor } from './models';

const ESTIMATE_TIMEOUT_MS = 30 * 60_000;

type StartInput = ParsedInput<'finetune.start'>;

/** The training engine runs only while there is training work: started on demand. */
async function trainEngineReady(ctx: ServiceContext): Promise<EngineHost> {
  const engine = trainEngineOf(ctx);
  if (engine.status().state === 'stopped') await engine.start();
  return engine;
}

function usableBase(ctx: ServiceContext, modelId: string) {
  const base = baseModelOf(registryFor(ctx).record(modelId));
  if (!base.usable || !base.checkpoint) throw new ApiError('bad_request', base.reason ?? `${base.name} cannot be fine-tuned.`);
  return { ...base, checkpoint: base.checkpoint };
}

export function describeEstimate(e: EstimateResult): Estimate {
  const fits = e.peakBytes <= e.availableBytes;
  const time = e.totalSeconds < 90 ? `${Math.round(e.totalSeconds)} s` : e.totalSeconds < 5400 ? `${Math.round(e.totalSeconds / 60)} min` : `${(e.totalSeconds / 3600).toFixed(1)} h`;
  const message = fits
    ? `Needs about ${formatBytes(e.peakBytes)} of ${formatBytes(e.availableBytes)} available; ${e.steps} steps in about ${time} (${e.microBatchSeconds.toFixed(2)} s per micro-batch measured here).`
    : `Will not fit: one training step measured ${formatBytes(e.peakBytes)} at its peak, but only ${formatBytes(e.availableBytes)} is available. ` +
      'Lower the max length or the batch, choose q4 base precision, or close other programs.';
  return { fits, ...e, message };
}

export const finetuneService: ServiceModule = (ctx) => {
  const runner = runnerFor(ctx);
  runner.define({ kind: 'train', build: (params) => trainJobSpec(ctx, String(params.runId)) });
  const unmirror = mirrorJobStates(ctx);
  const refusedEstimates = new Map<string, Estimate>();

  const run = (runId: string) => {
    const found = ctx.store.trainRuns.get(runId);
    if (!found) throw new ApiError('not_found', `There is no fine-tuning run ${runId}.`);
    return found;
  };
  const summary = (runId: string): RunSummary => toRunSummary(run(runId), ctx.store.trainRuns.lastLoss(runId));

  const estimate = async (input: StartInput): Promise<Estimate> => {
    const base = usableBase(ctx, input.modelId);
    const scratch = path.join(ctx.paths.runs, `.estimate-${randomUUID()}`);
    try {
      const { dataFile } = await prepareRunData(scratch, input.dataFolder, input.map);
      const engine = await trainEngineReady(ctx);
      const h = input.hyper;
      const result = await engine.request('train.estimate', {
        modelFolder: base.checkpoint, dataFile, lora: { rank: h.rank, alpha: h.alpha, targets: h.targets },
        dtype: h.precision === 'fp16' ? 'float16' : h.precision === 'q4' ? 'q4' : 'float32', valFraction: input.valFraction, splitSeed: input.seed,
        config: { epochs: h.epochs, maxSteps: h.maxSteps, rowsPerBatch: h.batch, seqLen: h.maxLength, gradAccumulation: h.accumulation, validateEvery: 50 },
      }, { timeoutMs: ESTIMATE_TIMEOUT_MS });
      const described = describeEstimate(result);
      const key = JSON.stringify({ ...input, force: undefined });
      if (described.fits) refusedEstimates.delete(key);
      else refusedEstimates.set(key, described);
      return described;
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  };

  const start = async (input: StartInput): Promise<RunSummary> => {
    const refused = refusedEstimates.get(JSON.stringify({ ...input, force: undefined }));
    if (refused && !input.force) throw new ApiError('bad_request', refused.message);
    const base = usableBase(ctx, input.modelId);
    const runId = randomUUID();
    const outDir = path.join(ctx.paths.runs, runId);
    const { dataFile, report } = await prepareRunData(outDir, input.dataFolder, input.map);
    const lines = fs.readFileSync(dataFile, 'utf8').split('\n').filter(Boolean);
    const split = seededSplit(lines, input.valFraction, input.seed);
    const question = split.validation.length ? (JSON.parse(split.validation[0]) as { question: string }).question : undefined;
    const { force: _force, ...config } = input;
    const name = input.name ?? `${path.basename(input.dataFolder)} · ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`;
    const created = ctx.store.trainRuns.create({ id: runId, name, baseModelId: base.modelId, baseName: base.name, checkpoint: base.checkpoint, outDir, config });
    const plannedSteps = plannedStepCount(split.train.length, input.hyper);
    ctx.store.trainRuns.update(created.id, {
      totalSteps: plannedSteps, records: { train: split.train.length, validation: split.validation.length, plannedSteps, examples: report.examples, question },
    });
    await startJob(runId);
    return summary(runId);
  };

  const startJob = async (runId: string) => {
    await trainEngineReady(ctx);
    const job = runner.start(trainJobSpec(ctx, runId));
    ctx.store.trainRuns.update(runId, { jobId: job.id, state: 'running', message: null });
  };

  const resume = async (runId: string): Promise<RunSummary> => {
    const current = run(runId);
    if (current.state === 'completed') throw new ApiError('conflict', `Run “${current.name}” is complete; start a new run to train more.`);
    if (current.state === 'running') return summary(runId);
    const job = current.jobId ? ctx.store.jobs.get(current.jobId) : undefined;
    await trainEngineReady(ctx);
    if (job && (job.state === 'paused' || job.state === 'interrupted')) await runner.resume(job.id);
    else await startJob(runId); // cancelled or failed: a new job, same run, from the latest checkpoint
    return summary(runId);
  };

  const stop = async (runId: string, how: 'pause' | 'cancel'): Promise<RunSummary> => {
    const current = run(runId);
    if (!current.jobId || current.state !== 'running') return summary(runId);
    if (how === 'pause') await runner.pause(current.jobId);
    else await runner.cancel(current.jobId);
    return summary(runId);
  };

  const merge = async ({ runId, dtype }: ParsedInput<'finetune.merge'>) => {
    const current = run(runId);
    if (!current.adapterPath || !fs.existsSync(current.adapterPath)) {
      throw new ApiError('bad_request', `Run “${current.name}” has no adapter yet: let it finish first.`);
    }
    const outDir = uniqueFolder(path.join(ctx.paths.models, `${safeName(current.baseName)}-ft-${runId.slice(0, 8)}-${dtype}`));
    const engine = await trainEngineReady(ctx);
    const job = runner.start<{ outDir: string }>({
      kind: 'convert',
      title: `Merge “${current.name}” into ${current.baseName} (${dtype})`,
      method: 'train.merge',
      params: { baseFolder: current.checkpoint, adapterDir: current.adapterPath, outDir, dtype },
      engine,
      progress: (data) => data as JobProgress,
      onSuccess: async (result) => {
        const model = await registryFor(ctx).add(result.outDir, `${current.baseName} · ${current.name}`, { derivedFrom: current.baseModelId });
        ctx.store.trainRuns.update(runId, { mergedModelId: model.id });
        ctx.events.emit('finetune.update', { runId, state: current.state, step: current.step, totalSteps: current.totalSteps });
        return { message: `Merged into “${model.name}” (fine-tuned from ${current.baseName}).`, result: { modelId: model.id, outDir: result.outDir } };
      },
    });
    return { jobId: job.id };
  };

  return {
    handlers: {
      'finetune.baseModels': async () => ctx.store.models.list().map(baseModelOf),
      'finetune.checkData': async (input) => {
        const checkpoint = input.modelId ? baseModelOf(registryFor(ctx).record(input.modelId)).checkpoint : undefined;
        // Whoever checks a trace folder is about to estimate or train: start the training engine meanwhile.
        trainEngineReady(ctx).catch((error: Error) => ctx.log('warn', `the training engine did not start: ${error.message}`));
        return checkDataFolder({ ...input, checkpoint });
      },
      'finetune.estimate': (input) => estimate({ ...input, force: undefined }),
      'finetune.start': start,
      'finetune.runs': async () => ctx.store.trainRuns.list().map((r) => toRunSummary(r, ctx.store.trainRuns.lastLoss(r.id))),
      'finetune.run': async ({ runId }) => toRunDetail(ctx, run(runId)),
      'finetune.pause': ({ runId }) => stop(runId, 'pause'),
      'finetune.cancel': ({ runId }) => stop(runId, 'cancel'),
      'finetune.resume': ({ runId }) => resume(runId),
      'finetune.merge': merge,
    },
    dispose: unmirror,
  };
};

function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'model';
}

function uniqueFolder(base: string): string {
  let candidate = base;
  for (let n = 2; fs.existsSync(candidate); n++) candidate = `${base}-${n}`;
  return candidate;
}

export type { RunConfig };

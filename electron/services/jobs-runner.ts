/**
 * The one job runner. A job is an engine method + its params + a mapping from the method's `progress` events to the
 * job's progress (fraction, message, ETA) + an optional action in the services when the engine succeeds (e.g. add the
 * converted model to the registry). The runner keeps the job row in the store: progress is saved at most every
 * SAVE_EVERY_MS and sent as `job.update` at most every EMIT_EVERY_MS; state changes always go out at once.
 */
import type { Job } from '../contract/api';
import { EngineError, EngineErrorCode } from '../engine/protocol';
import type { JobRecord, JobState } from '../store';
import type { ServiceContext } from './context';
import { ApiError } from './errors';

const SAVE_EVERY_MS = 250;
const EMIT_EVERY_MS = 100;
const CANCEL_WAIT_MS = 10_000;

/** Where a job stands after one progress event. */
export interface JobProgress {
  /** 0..1 of the whole job. */
  fraction: number;
  /** What it is doing now, in words ("Converting layer 12/28 · 1.2 GB of 3.5 GB"). */
  message?: string;
  etaSeconds?: number;
}

/** How a successful job ends: its final message and the result saved with it. */
export interface JobOutcome {
  message: string;
  result?: unknown;
}

export interface EngineJobSpec<R = unknown> {
  kind: Job['kind'];
  title: string;
  /** The engine method that does the work, and its params (saved with the job). */
  method: string;
  params: Record<string, unknown>;
  /** Maps one `progress` event of the method; undefined ignores the event. */
  progress(data: unknown, elapsedMs: number): JobProgress | undefined;
  /** Runs in the services once the engine succeeded. Throwing fails the job with the error's message. */
  onSuccess?(result: R): Promise<JobOutcome> | JobOutcome;
  /** Runs after the job ended any other way (failed, cancelled, interrupted by an engine crash): clean up what it left. */
  onFailure?(state: JobState): Promise<void> | void;
  /** Called once when the job has ended, whatever the outcome (releases what the spec reserved). */
  onSettled?(): void;
}

interface ActiveJob {
  cancel(): void;
  done: Promise<void>;
}

export function toContractJob(record: JobRecord, etaSeconds?: number): Job {
  const job: Job = {
    id: record.id,
    kind: record.kind as Job['kind'],
    state: record.state,
    title: record.title,
    progress: record.progress,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
  if (record.message !== undefined) job.message = record.message;
  if (etaSeconds !== undefined && Number.isFinite(etaSeconds)) job.etaSeconds = etaSeconds;
  return job;
}

/** Seconds left if the rest goes at the average pace so far; undefined before there is any progress. */
export function extrapolateEta(fraction: number, elapsedMs: number): number | undefined {
  return fraction > 0 && fraction < 1 ? ((elapsedMs / fraction) * (1 - fraction)) / 1000 : undefined;
}

export function jobRunner(ctx: ServiceContext) {
  const active = new Map<string, ActiveJob>();

  const start = <R>(spec: EngineJobSpec<R>): Job => {
    let record: JobRecord;
    let call: ReturnType<typeof ctx.engine.stream<R>>;
    try {
      record = ctx.store.jobs.create({ kind: spec.kind, title: spec.title, params: spec.params, state: 'running' });
      ctx.events.emit('job.update', toContractJob(record));
      call = ctx.engine.stream<R>(spec.method, spec.params);
    } catch (error) {
      spec.onSettled?.();
      throw error;
    }
    const done = followJob(ctx, record, spec, call).finally(() => {
      active.delete(record.id);
      spec.onSettled?.();
    });
    active.set(record.id, { cancel: call.cancel, done });
    return toContractJob(record);
  };

  /** Asks the engine to stop the job and waits (up to CANCEL_WAIT_MS) for it to settle; returns its state then. */
  const cancel = async (jobId: string): Promise<Job> => {
    const record = ctx.store.jobs.get(jobId);
    if (!record) throw new ApiError('not_found', `There is no job with id ${jobId}.`);
    const job = active.get(jobId);
    if (job) {
      job.cancel();
      await Promise.race([job.done, new Promise((resolve) => setTimeout(resolve, CANCEL_WAIT_MS))]);
    }
    return toContractJob(ctx.store.jobs.get(jobId)!);
  };

  const dispose = async () => {
    for (const job of active.values()) job.cancel();
    await Promise.allSettled([...active.values()].map((job) => job.done));
  };

  return { start, cancel, dispose, active };
}

export type JobRunner = ReturnType<typeof jobRunner>;

/** One runner per services instance: every module that starts jobs shares it, so jobs.cancel finds them all. */
const runners = new WeakMap<ServiceContext, JobRunner>();
export function runnerFor(ctx: ServiceContext): JobRunner {
  let runner = runners.get(ctx);
  if (!runner) {
    runner = jobRunner(ctx);
    runners.set(ctx, runner);
  }
  return runner;
}

async function followJob<R>(
  ctx: ServiceContext,
  record: JobRecord,
  spec: EngineJobSpec<R>,
  call: { events: AsyncIterable<{ event: string; data: unknown }>; result: Promise<R> },
): Promise<void> {
  const started = Date.now();
  let lastSave = 0;
  let lastEmit = 0;
  let current: JobRecord = record;
  const outcome = call.result.then(
    (result) => ({ ok: true as const, result }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  for await (const { event, data } of call.events) {
    if (event !== 'progress') continue;
    const now = Date.now();
    const mapped = spec.progress(data, now - started);
    if (!mapped) continue;
    const progress = Math.min(1, Math.max(0, mapped.fraction));
    current = { ...current, progress, message: mapped.message ?? current.message, updatedAt: now };
    if (now - lastSave >= SAVE_EVERY_MS) {
      ctx.store.jobs.update(record.id, { progress, message: current.message });
      lastSave = now;
    }
    if (now - lastEmit >= EMIT_EVERY_MS) {
      ctx.events.emit('job.update', toContractJob(current, mapped.etaSeconds));
      lastEmit = now;
    }
  }
  const settled = await outcome;
  const end = settled.ok ? await succeed(spec, settled.result) : failure(settled.error);
  if (end.state !== 'succeeded') await cleanUp(ctx, spec, end.state);
  const final = ctx.store.jobs.update(record.id, end);
  if (final) ctx.events.emit('job.update', toContractJob(final));
}

async function cleanUp<R>(ctx: ServiceContext, spec: EngineJobSpec<R>, state: JobState): Promise<void> {
  try {
    await spec.onFailure?.(state);
  } catch (error) {
    ctx.log('warn', `cleaning up after job "${spec.title}" failed: ${(error as Error).message}`);
  }
}

async function succeed<R>(spec: EngineJobSpec<R>, result: R): Promise<{ state: JobState; progress?: number; message: string; result?: unknown }> {
  if (!spec.onSuccess) return { state: 'succeeded', progress: 1, message: 'Done.', result };
  try {
    const outcome = await spec.onSuccess(result);
    return { state: 'succeeded', progress: 1, message: outcome.message, result: outcome.result ?? result };
  } catch (error) {
    return { state: 'failed', message: error instanceof Error ? error.message : String(error), result };
  }
}

function failure(error: unknown): { state: JobState; message: string } {
  const code = error instanceof EngineError ? error.code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  // The engine's own words say what was cleaned up ("Conversion cancelled; the partial output was removed.").
  if (code === EngineErrorCode.cancelled) return { state: 'cancelled', message: message || 'Cancelled.' };
  if (code === EngineErrorCode.crashed || code === EngineErrorCode.stopped) {
    return { state: 'interrupted', message: `${message.replace(/;.*$/, '').replace(/\.$/, '')}. Start the job again.` };
  }
  return { state: 'failed', message };
}

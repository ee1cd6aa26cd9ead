/**
 * The one job runner, for every kind of long work. A job runs either in the engine (a method + params whose
 * `progress` events the spec maps to the job's progress: conversions, training) or here in the services (a `run`
 * function with an AbortSignal: downloads, which must not block the engine thread, and work that calls the engine
 * many times, such as a vote). The runner keeps the job row in the store: progress is saved at most every
 * SAVE_EVERY_MS and sent as `job.update` at most every EMIT_EVERY_MS; state changes always go out at once.
 *
 * States: running → succeeded | failed | cancelled | paused | interrupted. `paused` is a stop the user asked for on a
 * pausable job; `interrupted` is a stop nobody asked for (engine crash, app quit). Both can be resumed when the job's
 * kind is defined (`define`): the definition rebuilds the job from its saved params, so a resume works after a
 * restart of the app as well as after a pause.
 */
import type { Job } from '../contract/api';
import { EngineError, EngineErrorCode } from '../engine/protocol';
import type { EngineHost } from '../engine/host';
import type { JobRecord, JobState } from '../store';
import { perServices, type ServiceContext } from './context';
import { ApiError } from './errors';

const SAVE_EVERY_MS = 250;
const EMIT_EVERY_MS = 100;
const STOP_WAIT_MS = 10_000;

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

export type StopReason = 'cancel' | 'pause';

/** What a services-side job gets to report progress and notice a cancel or pause. */
export interface JobControl {
  readonly jobId: string;
  /** Aborted when the user cancels or pauses the job: `stopReason()` says which. */
  readonly signal: AbortSignal;
  stopReason(): StopReason | undefined;
  progress(p: JobProgress): void;
}

interface JobSpecBase<R> {
  kind: Job['kind'];
  title: string;
  /** Saved with the job: enough for the kind's definition to rebuild it on resume. */
  params: Record<string, unknown>;
  /** Pause stops the work so that a resume continues it (the work keeps its state on disk). */
  pausable?: boolean;
  /** Runs in the services once the work succeeded. Throwing fails the job with the error's message. */
  onSuccess?(result: R): Promise<JobOutcome> | JobOutcome;
  /** Runs after the job ended any way but success or pause: clean up what it left. */
  onFailure?(state: JobState): Promise<void> | void;
  /** Called once each time the job stops running, whatever the outcome (releases what the spec reserved). */
  onSettled?(): void;
}

export interface EngineJobSpec<R = unknown> extends JobSpecBase<R> {
  /** The engine method that does the work. */
  method: string;
  /** The method's params; `params` when absent. */
  engineParams?: Record<string, unknown>;
  /** The engine process to run it in (training has its own); the services' engine when absent. */
  engine?: EngineHost;
  /** Maps one `progress` event of the method; undefined ignores the event. */
  progress(data: unknown, elapsedMs: number): JobProgress | undefined;
}

export interface ServiceJobSpec<R = unknown> extends JobSpecBase<R> {
  run(control: JobControl): Promise<R>;
}

export type JobSpec<R = unknown> = EngineJobSpec<R> | ServiceJobSpec<R>;

export interface ResumeContext {
  jobId: string;
  /** False when the job is rebuilt only to clean up after a cancel of a paused or interrupted job. */
  resuming: boolean;
  /** The progress saved when it stopped (0..1). */
  progress: number;
}

export interface JobKindDefinition {
  kind: Job['kind'];
  /** Rebuilds a job of this kind from its saved params, to resume it (after a pause, or after a restart). */
  build(params: Record<string, unknown>, how: ResumeContext): JobSpec;
}

interface ActiveJob {
  spec: JobSpec;
  stop(reason: StopReason): void;
  done: Promise<void>;
}

type Ending = { state: JobState; message: string; progress?: number; result?: unknown };

export function toContractJob(record: JobRecord, extra: { etaSeconds?: number; pausable?: boolean; resumable?: boolean } = {}): Job {
  const job: Job = {
    id: record.id,
    kind: record.kind as Job['kind'],
    state: record.state,
    title: record.title,
    progress: record.progress,
    pausable: extra.pausable ?? false,
    resumable: extra.resumable ?? false,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
  if (record.message !== undefined) job.message = record.message;
  if (extra.etaSeconds !== undefined && Number.isFinite(extra.etaSeconds)) job.etaSeconds = extra.etaSeconds;
  return job;
}

/** Seconds left if the rest goes at the average pace so far; undefined before there is any progress. */
export function extrapolateEta(fraction: number, elapsedMs: number): number | undefined {
  return fraction > 0 && fraction < 1 ? ((elapsedMs / fraction) * (1 - fraction)) / 1000 : undefined;
}

const isEngineSpec = (spec: JobSpec): spec is EngineJobSpec => 'method' in spec;

export function jobRunner(ctx: ServiceContext) {
  const active = new Map<string, ActiveJob>();
  const kinds = new Map<string, JobKindDefinition>();

  const canResume = (record: JobRecord) =>
    (record.state === 'paused' || record.state === 'interrupted') && kinds.has(record.kind) && !active.has(record.id);

  /** The contract's view of a job: whether it can be paused now, or resumed. */
  const describe = (record: JobRecord, etaSeconds?: number): Job =>
    toContractJob(record, {
      etaSeconds,
      pausable: record.state === 'running' && active.get(record.id)?.spec.pausable === true,
      resumable: canResume(record),
    });

  const emit = (record: JobRecord, etaSeconds?: number) => ctx.events.emit('job.update', describe(record, etaSeconds));

  const launch = (record: JobRecord, spec: JobSpec): void => {
    let reason: StopReason | undefined;
    const controller = new AbortController();
    let work: Running;
    try {
      work = isEngineSpec(spec) ? runInEngine(ctx, spec) : runInServices(record.id, spec, controller, () => reason);
    } catch (error) {
      spec.onSettled?.();
      throw error;
    }
    const stop = (why: StopReason) => {
      reason ??= why;
      controller.abort(why);
      work.cancel();
    };
    const done = follow(ctx, record, spec, work, () => reason, emit).finally(() => {
      active.delete(record.id);
      spec.onSettled?.();
      // Sent after the job left `active`, so the update says it can now be resumed.
      const final = ctx.store.jobs.get(record.id);
      if (final) emit(final);
    });
    active.set(record.id, { spec, stop, done });
  };

  const start = <R>(spec: JobSpec<R>): Job => {
    let record: JobRecord;
    try {
      record = ctx.store.jobs.create({ kind: spec.kind, title: spec.title, params: spec.params, state: 'running' });
    } catch (error) {
      spec.onSettled?.();
      throw error;
    }
    launch(record, spec as JobSpec);
    emit(record);
    return describe(record);
  };

  const find = (jobId: string): JobRecord => {
    const record = ctx.store.jobs.get(jobId);
    if (!record) throw new ApiError('not_found', `There is no job with id ${jobId}.`);
    return record;
  };

  const stopAndWait = async (job: ActiveJob, reason: StopReason) => {
    job.stop(reason);
    await Promise.race([job.done, new Promise((resolve) => setTimeout(resolve, STOP_WAIT_MS))]);
  };

  /** Stops a pausable job so that `resume` can continue it; returns its state then. */
  const pause = async (jobId: string): Promise<Job> => {
    const record = find(jobId);
    const job = active.get(jobId);
    if (!job) {
      if (record.state === 'paused') return describe(record);
      throw new ApiError('conflict', `"${record.title}" is not running (it is ${record.state}), so it cannot be paused.`);
    }
    if (!job.spec.pausable) throw new ApiError('bad_request', `"${record.title}" cannot be paused; cancel it instead.`);
    await stopAndWait(job, 'pause');
    return describe(find(jobId));
  };

  /** Continues a paused or interrupted job under the same id, rebuilt from its saved params. */
  const resume = async (jobId: string): Promise<Job> => {
    const record = find(jobId);
    if (active.has(jobId)) throw new ApiError('conflict', `"${record.title}" is already running.`);
    if (record.state !== 'paused' && record.state !== 'interrupted') {
      throw new ApiError('conflict', `"${record.title}" is ${record.state}; only a paused or interrupted job can be resumed.`);
    }
    const definition = kinds.get(record.kind);
    if (!definition) throw new ApiError('bad_request', `A ${record.kind} job cannot be resumed; start it again.`);
    const spec = definition.build(asParams(record.params), { jobId, resuming: true, progress: record.progress });
    const running = ctx.store.jobs.update(jobId, { state: 'running', message: 'Resuming…' })!;
    try {
      launch(running, spec);
    } catch (error) {
      ctx.store.jobs.update(jobId, { state: record.state, message: record.message });
      throw error;
    }
    emit(running);
    return describe(running);
  };

  /** Stops a running job (waiting up to STOP_WAIT_MS for it to settle) or ends a paused one; returns its state then. */
  const cancel = async (jobId: string): Promise<Job> => {
    const record = find(jobId);
    const job = active.get(jobId);
    if (job) {
      await stopAndWait(job, 'cancel');
    } else if (record.state === 'paused' || record.state === 'interrupted') {
      await cleanUpStopped(record);
    }
    return describe(find(jobId));
  };

  // A paused or interrupted job holds files (a partial download, a checkpoint): its definition cleans them up.
  const cleanUpStopped = async (record: JobRecord) => {
    const definition = kinds.get(record.kind);
    const spec = definition?.build(asParams(record.params), { jobId: record.id, resuming: false, progress: record.progress });
    if (spec) {
      await runCleanUp(ctx, spec, 'cancelled');
      spec.onSettled?.();
    }
    const final = ctx.store.jobs.update(record.id, { state: 'cancelled', message: 'Cancelled.' });
    if (final) emit(final);
  };

  const define = (definition: JobKindDefinition): void => {
    kinds.set(definition.kind, definition);
  };

  const list = (): Job[] => ctx.store.jobs.list().map((record) => describe(record));

  // Quitting pauses what can be paused (a download keeps its bytes, resumable at the next start); the rest is cancelled.
  const dispose = async () => {
    for (const job of active.values()) job.stop(job.spec.pausable ? 'pause' : 'cancel');
    await Promise.allSettled([...active.values()].map((job) => job.done));
  };

  return { start, pause, resume, cancel, define, list, describe, dispose, active };
}

export type JobRunner = ReturnType<typeof jobRunner>;

/** One runner per services instance: every module that starts jobs shares it, so jobs.cancel finds them all. */
export const runnerFor: (ctx: ServiceContext) => JobRunner = perServices(jobRunner);

const asParams = (params: unknown): Record<string, unknown> =>
  params && typeof params === 'object' && !Array.isArray(params) ? (params as Record<string, unknown>) : {};

/** The work under way, whichever side runs it: progress updates, the outcome, and how to stop it. */
interface Running {
  updates: AsyncIterable<JobProgress & { elapsedMs: number }>;
  result: Promise<unknown>;
  cancel(): void;
}

function runInEngine(ctx: ServiceContext, spec: EngineJobSpec): Running {
  const call = (spec.engine ?? ctx.engine).stream(spec.method, spec.engineParams ?? spec.params);
  const started = Date.now();
  async function* updates() {
    for await (const { event, data } of call.events) {
      if (event !== 'progress') continue;
      const elapsedMs = Date.now() - started;
      const mapped = spec.progress(data, elapsedMs);
      if (mapped) yield { ...mapped, elapsedMs };
    }
  }
  return { updates: updates(), result: call.result, cancel: call.cancel };
}

function runInServices(jobId: string, spec: ServiceJobSpec, controller: AbortController, reason: () => StopReason | undefined): Running {
  const queue = new UpdateQueue();
  const started = Date.now();
  const control: JobControl = {
    jobId,
    signal: controller.signal,
    stopReason: reason,
    progress: (p) => queue.push({ ...p, elapsedMs: Date.now() - started }),
  };
  // The work starts on the next tick, so `launch` has registered the job before any progress arrives; a job
  // stopped before that never starts.
  const result = Promise.resolve().then(() => {
    controller.signal.throwIfAborted();
    return spec.run(control);
  });
  void result.then(
    () => queue.close(),
    () => queue.close(),
  );
  return { updates: queue, result, cancel: () => undefined };
}

/** Progress from a services-side job: only the latest value matters, so a slow reader skips stale ones. */
class UpdateQueue implements AsyncIterable<JobProgress & { elapsedMs: number }> {
  private latest: (JobProgress & { elapsedMs: number }) | undefined;
  private closed = false;
  private wake: (() => void) | undefined;

  push(update: JobProgress & { elapsedMs: number }) {
    this.latest = update;
    this.wake?.();
  }

  close() {
    this.closed = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator]() {
    for (;;) {
      if (this.latest) {
        const next = this.latest;
        this.latest = undefined;
        yield next;
        continue;
      }
      if (this.closed) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}

async function follow(
  ctx: ServiceContext,
  record: JobRecord,
  spec: JobSpec,
  work: Running,
  reason: () => StopReason | undefined,
  emit: (record: JobRecord, etaSeconds?: number) => void,
): Promise<void> {
  let lastSave = 0;
  let lastEmit = 0;
  let current: JobRecord = record;
  const outcome = work.result.then(
    (result) => ({ ok: true as const, result }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  for await (const update of work.updates) {
    const now = Date.now();
    const progress = Math.min(1, Math.max(0, update.fraction));
    current = { ...current, progress, message: update.message ?? current.message, updatedAt: now };
    if (now - lastSave >= SAVE_EVERY_MS) {
      ctx.store.jobs.update(record.id, { progress, message: current.message });
      lastSave = now;
    }
    if (now - lastEmit >= EMIT_EVERY_MS) {
      emit(current, update.etaSeconds ?? extrapolateEta(progress, update.elapsedMs));
      lastEmit = now;
    }
  }
  const settled = await outcome;
  const end: Ending = settled.ok ? await succeed(spec, settled.result) : failure(settled.error, reason());
  if (end.state !== 'succeeded' && end.state !== 'paused') await runCleanUp(ctx, spec, end.state);
  // Progress made up to the stop is kept, so a paused job shows how far it got.
  ctx.store.jobs.update(record.id, { progress: current.progress, ...end });
}

async function runCleanUp(ctx: ServiceContext, spec: JobSpec, state: JobState): Promise<void> {
  try {
    await spec.onFailure?.(state);
  } catch (error) {
    ctx.log('warn', `cleaning up after job "${spec.title}" failed: ${(error as Error).message}`);
  }
}

async function succeed(spec: JobSpec, result: unknown): Promise<Ending> {
  if (!spec.onSuccess) return { state: 'succeeded', progress: 1, message: 'Done.', result };
  try {
    const outcome = await spec.onSuccess(result);
    return { state: 'succeeded', progress: 1, message: outcome.message, result: outcome.result ?? result };
  } catch (error) {
    return { state: 'failed', message: error instanceof Error ? error.message : String(error), result };
  }
}

function failure(error: unknown, reason: StopReason | undefined): Ending {
  const code = error instanceof EngineError ? error.code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  if (reason === 'pause') return { state: 'paused', message: 'Paused. Resume continues where it stopped.' };
  // Work that stopped by itself in a state a resume continues (a full disk, a dropped connection) says so.
  if (error instanceof Error && (error as { pausesJob?: boolean }).pausesJob === true) return { state: 'paused', message };
  // The engine's own words say what was cleaned up ("Conversion cancelled; the partial output was removed.").
  if (code === EngineErrorCode.cancelled) return { state: 'cancelled', message: message || 'Cancelled.' };
  if (reason === 'cancel') return { state: 'cancelled', message: 'Cancelled.' };
  if (code === EngineErrorCode.crashed || code === EngineErrorCode.stopped) {
    return { state: 'interrupted', message: `${message.replace(/;.*$/, '').replace(/\.$/, '')}. Start the job again.` };
  }
  return { state: 'failed', message };
}

/**
 * jobs.* methods. A job is a row in the jobs table plus, while it runs, an engine request. Progress is saved to the
 * database at most every SAVE_EVERY_MS and sent as `job.update` at most every EMIT_EVERY_MS; state changes always go
 * out at once.
 */
import type { Job } from '../contract/api';
import type { DummyProgress } from '../engine/handlers/dummy';
import { EngineError, EngineErrorCode } from '../engine/protocol';
import type { JobRecord, JobState } from '../store';
import type { ServiceContext, ServiceModule } from './context';
import { ApiError } from './errors';

const SAVE_EVERY_MS = 250;
const EMIT_EVERY_MS = 100;
const CANCEL_WAIT_MS = 10_000;

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

export const jobsService: ServiceModule = (ctx) => {
  const active = new Map<string, ActiveJob>();

  const startEngineJob = (kind: Job['kind'], title: string, method: string, params: Record<string, unknown>) => {
    const record = ctx.store.jobs.create({ kind, title, params, state: 'running' });
    ctx.events.emit('job.update', toContractJob(record));
    const call = ctx.engine.stream(method, params);
    const done = followJob(ctx, record, call).finally(() => active.delete(record.id));
    active.set(record.id, { cancel: call.cancel, done });
    return toContractJob(record);
  };

  return {
    handlers: {
      'jobs.list': async () => ctx.store.jobs.list().map((record) => toContractJob(record)),
      'jobs.startDummy': async ({ steps, stepMs }) =>
        startEngineJob('dummy', `Test job: ${steps} steps of ${stepMs} ms`, 'dummy', { steps, stepMs }),
      'jobs.cancel': async ({ jobId }) => {
        const record = ctx.store.jobs.get(jobId);
        if (!record) throw new ApiError('not_found', `There is no job with id ${jobId}.`);
        const job = active.get(jobId);
        if (job) {
          job.cancel();
          await Promise.race([job.done, new Promise((resolve) => setTimeout(resolve, CANCEL_WAIT_MS))]);
        }
        return toContractJob(ctx.store.jobs.get(jobId)!);
      },
    },
    dispose: async () => {
      for (const job of active.values()) job.cancel();
      await Promise.allSettled([...active.values()].map((job) => job.done));
    },
  };
};

async function followJob(
  ctx: ServiceContext,
  record: JobRecord,
  call: { events: AsyncIterable<{ event: string; data: unknown }>; result: Promise<unknown> },
): Promise<void> {
  const started = Date.now();
  let lastSave = 0;
  let lastEmit = 0;
  const outcome = call.result.then(
    (result) => ({ ok: true as const, result }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  for await (const { event, data } of call.events) {
    if (event !== 'progress') continue;
    const progress = (data as DummyProgress).fraction;
    const now = Date.now();
    const eta = progress > 0 ? ((now - started) / progress) * (1 - progress) / 1000 : undefined;
    if (now - lastSave >= SAVE_EVERY_MS) {
      ctx.store.jobs.update(record.id, { progress });
      lastSave = now;
    }
    if (now - lastEmit >= EMIT_EVERY_MS) {
      ctx.events.emit('job.update', toContractJob({ ...record, progress, updatedAt: now }, eta));
      lastEmit = now;
    }
  }
  const settled = await outcome;
  const final = settled.ok
    ? ctx.store.jobs.update(record.id, { state: 'succeeded', progress: 1, message: 'Done.', result: settled.result })
    : ctx.store.jobs.update(record.id, failure(settled.error));
  if (final) ctx.events.emit('job.update', toContractJob(final));
}

function failure(error: unknown): { state: JobState; message: string } {
  const code = error instanceof EngineError ? error.code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  if (code === EngineErrorCode.cancelled) return { state: 'cancelled', message: 'Cancelled.' };
  if (code === EngineErrorCode.crashed || code === EngineErrorCode.stopped) {
    return { state: 'interrupted', message: `${message.replace(/;.*$/, '').replace(/\.$/, '')}. Start the job again.` };
  }
  return { state: 'failed', message };
}

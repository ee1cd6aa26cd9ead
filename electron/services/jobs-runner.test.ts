import { describe, expect, it } from 'vitest';
import type { Job } from '../contract/api';
import type { EngineHost } from '../engine/host';
import { openDatabase, type Store } from '../store';
import type { ServiceContext } from './context';
import { ServiceEvents } from './events';
import { jobRunner, type JobControl, type JobKindDefinition, type ServiceJobSpec } from './jobs-runner';
import type { DataPaths } from './paths';

function context(store: Store = openDatabase(':memory:')): ServiceContext & { logs: string[] } {
  const logs: string[] = [];
  return {
    store,
    engine: {} as EngineHost,
    events: new ServiceEvents((message) => logs.push(message)),
    paths: {} as DataPaths,
    transport: 'http',
    version: '0.0.0',
    log: (_level, message) => logs.push(message),
    logs,
  };
}

/**
 * A services-side job that counts to `total`, one step per tick of `gate`, remembering how far it got in `saved`
 * (as a download keeps its bytes on disk): a resumed one continues from there.
 */
function counter(saved: { step: number }, total: number, calls: string[] = []) {
  let release: () => void = () => undefined;
  const spec = (): ServiceJobSpec<{ counted: number }> => ({
    kind: 'download',
    title: `Count to ${total}`,
    params: { total },
    pausable: true,
    run: async (control: JobControl) => {
      while (saved.step < total) {
        await new Promise<void>((resolve, reject) => {
          release = resolve;
          control.signal.addEventListener('abort', () => reject(new Error(`stopped: ${control.stopReason()}`)), { once: true });
        });
        saved.step += 1;
        control.progress({ fraction: saved.step / total, message: `step ${saved.step}` });
      }
      return { counted: saved.step };
    },
    onSuccess: (result) => ({ message: `Counted to ${result.counted}.` }),
    onFailure: (state) => void calls.push(`failure:${state}`),
    onSettled: () => void calls.push('settled'),
  });
  const definition: JobKindDefinition = { kind: 'download', build: () => spec() };
  return { spec, definition, step: () => release() };
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const stateOf = (ctx: ServiceContext, id: string) => ctx.store.jobs.get(id)?.state;

describe('job runner: services-side jobs', () => {
  it('runs to success with progress saved and the outcome message', async () => {
    const ctx = context();
    const runner = jobRunner(ctx);
    const saved = { step: 0 };
    const job = counter(saved, 3);
    const updates: Job[] = [];
    ctx.events.on('job.update', (u) => updates.push(u));
    const started = runner.start(job.spec());
    expect(started).toMatchObject({ state: 'running', pausable: true, resumable: false });
    for (let i = 0; i < 3; i++) {
      await until(() => runner.active.size === 1);
      await new Promise((resolve) => setTimeout(resolve, 5));
      job.step();
    }
    await until(() => stateOf(ctx, started.id) === 'succeeded');
    expect(ctx.store.jobs.get(started.id)).toMatchObject({ progress: 1, message: 'Counted to 3.' });
    expect(updates.at(-1)).toMatchObject({ state: 'succeeded', pausable: false, resumable: false });
  });

  it('pauses, keeps the progress made, and resumes from it under the same id', async () => {
    const ctx = context();
    const runner = jobRunner(ctx);
    const saved = { step: 0 };
    const calls: string[] = [];
    const job = counter(saved, 4, calls);
    runner.define(job.definition);
    const started = runner.start(job.spec());
    await new Promise((resolve) => setTimeout(resolve, 5));
    job.step();
    await until(() => saved.step === 1);
    await new Promise((resolve) => setTimeout(resolve, 300)); // past the save throttle

    const paused = await runner.pause(started.id);
    expect(paused).toMatchObject({ id: started.id, state: 'paused', pausable: false, resumable: true });
    expect(paused.progress).toBeCloseTo(0.25);
    expect(calls).toEqual(['settled']); // a pause is no failure: nothing is cleaned up

    const resumed = await runner.resume(started.id);
    expect(resumed).toMatchObject({ id: started.id, state: 'running', pausable: true });
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      job.step();
      await until(() => saved.step === 2 + i);
    }
    await until(() => stateOf(ctx, started.id) === 'succeeded');
    expect(ctx.store.jobs.list()).toHaveLength(1);
  });

  it('resumes a job interrupted by a restart, rebuilt from its saved params by its kind', async () => {
    const store = openDatabase(':memory:');
    const first = jobRunner(context(store));
    const saved = { step: 0 };
    const job = counter(saved, 2);
    const started = first.start(job.spec());
    // The app dies here: on the next start the store marks the job interrupted, and a new runner takes over.
    expect(store.jobs.interruptUnfinished()).toBe(1);
    const ctx = context(store);
    const second = jobRunner(ctx);
    expect(second.list()[0]).toMatchObject({ state: 'interrupted', resumable: false }); // kind not defined yet
    await expect(second.resume(started.id)).rejects.toMatchObject({ code: 'bad_request' });

    const builds: unknown[] = [];
    second.define({ kind: 'download', build: (params, how) => (builds.push({ params, how }), counter(saved, 2).spec()) });
    expect(second.list()[0]).toMatchObject({ state: 'interrupted', resumable: true });
    await second.resume(started.id);
    expect(builds).toEqual([{ params: { total: 2 }, how: { jobId: started.id, resuming: true, progress: 0 } }]);
    expect(stateOf(ctx, started.id)).toBe('running');
    await second.cancel(started.id);
    expect(stateOf(ctx, started.id)).toBe('cancelled');
  });

  it('cancels running and paused jobs, cleaning up once', async () => {
    const ctx = context();
    const runner = jobRunner(ctx);
    const calls: string[] = [];
    const running = counter({ step: 0 }, 5, calls);
    const a = runner.start(running.spec());
    await expect(runner.cancel(a.id)).resolves.toMatchObject({ state: 'cancelled', message: 'Cancelled.' });
    expect(calls).toEqual(['failure:cancelled', 'settled']);

    calls.length = 0;
    const paused = counter({ step: 0 }, 5, calls);
    runner.define(paused.definition);
    const b = runner.start(paused.spec());
    await runner.pause(b.id);
    expect(calls).toEqual(['settled']);
    await expect(runner.cancel(b.id)).resolves.toMatchObject({ state: 'cancelled', resumable: false });
    expect(calls).toEqual(['settled', 'failure:cancelled', 'settled']);
  });

  it('refuses transitions that make no sense, with words a user can act on', async () => {
    const ctx = context();
    const runner = jobRunner(ctx);
    const fixed: ServiceJobSpec = { kind: 'vote', title: 'Fixed', params: {}, run: (control) => new Promise((_, reject) => control.signal.addEventListener('abort', () => reject(new Error('x')))) };
    const job = runner.start(fixed);
    expect(job.pausable).toBe(false);
    await expect(runner.pause(job.id)).rejects.toMatchObject({ code: 'bad_request', message: expect.stringMatching(/cannot be paused; cancel it/) });
    await expect(runner.resume(job.id)).rejects.toMatchObject({ code: 'conflict' });
    await runner.cancel(job.id);
    await expect(runner.pause(job.id)).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/not running \(it is cancelled\)/) });
    await expect(runner.resume(job.id)).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/only a paused or interrupted job/) });
    await expect(runner.cancel('nope')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('fails with the error message when the work or its success step throws, and cleans up', async () => {
    const ctx = context();
    const runner = jobRunner(ctx);
    const calls: string[] = [];
    const broken = runner.start({ kind: 'vote', title: 'Broken', params: {}, run: async () => { throw new Error('disk full: free 2 GB'); }, onFailure: (s) => void calls.push(s) });
    await until(() => stateOf(ctx, broken.id) === 'failed');
    expect(ctx.store.jobs.get(broken.id)?.message).toBe('disk full: free 2 GB');
    const refused = runner.start({ kind: 'vote', title: 'Refused', params: {}, run: async () => 1, onSuccess: () => { throw new Error('not registered'); }, onFailure: (s) => void calls.push(s) });
    await until(() => stateOf(ctx, refused.id) === 'failed');
    expect(ctx.store.jobs.get(refused.id)?.message).toBe('not registered');
    expect(calls).toEqual(['failed', 'failed']);
  });
});

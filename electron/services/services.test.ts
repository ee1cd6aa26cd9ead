import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, type EngineStatus, type Job } from '../contract/api';
import { EngineHost } from '../engine/host';
import { nodeEngineSpawner } from '../engine/spawn-node';
import { createServices, type Services } from './index';

describe('services over a real engine', () => {
  let dataDir: string;
  let engine: EngineHost;
  let services: Services;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'distillery-services-'));
    engine = new EngineHost({ spawn: nodeEngineSpawner(), restartDelaysMs: [50] });
    services = createServices({ dataDir, engineHost: engine, transport: 'http', version: '9.9.9' });
    await engine.start();
  });
  afterAll(async () => {
    await engine.stop();
    await services.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('implements every method of the contract', () => {
    const missing = Object.keys(api).filter((method) => !(method in services.handlers));
    expect(missing).toEqual([]);
  });

  it('validates input and names the problem', async () => {
    await expect(services.dispatch('no.such', {})).rejects.toMatchObject({ code: 'not_found' });
    const bad = services.dispatch('jobs.startDiagnostics', { steps: 0, stepMs: 'x' });
    await expect(bad).rejects.toMatchObject({ code: 'bad_request' });
    await expect(bad).rejects.toThrow(/steps/);
    await expect(services.dispatch('app.info', { extra: 1 })).rejects.toMatchObject({ code: 'bad_request' });
    await expect(services.dispatch('jobs.cancel', { jobId: 'nope' })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('answers app.info and engine.info', async () => {
    await expect(services.dispatch('app.info', undefined)).resolves.toEqual({ version: '9.9.9', dataDir, logFile: path.join(dataDir, 'logs', 'distillery.log'), transport: 'http' });
    const info = await services.call('engine.info', {});
    expect(info.ortVersion).toBe('1.30.0');
    expect(info.pid).toBe(engine.status().pid);
  });

  it('runs the diagnostics job to completion with throttled progress updates saved in the store', async () => {
    const updates: Job[] = [];
    const off = services.events.on('job.update', (job) => updates.push(job));
    const job = await services.call('jobs.startDiagnostics', { steps: 20, stepMs: 15 });
    expect(job).toMatchObject({ kind: 'diagnostics', state: 'running', progress: 0 });
    await waitFor(() => updates.some((u) => u.id === job.id && u.state === 'succeeded'));
    off();
    const mine = updates.filter((u) => u.id === job.id);
    const fractions = mine.map((u) => u.progress);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    expect(mine.length).toBeLessThan(20); // throttled, not one per step
    expect(mine.some((u) => u.progress > 0 && u.progress < 1 && u.etaSeconds !== undefined)).toBe(true);
    const stored = (await services.call('jobs.list', {})).find((j) => j.id === job.id);
    expect(stored).toMatchObject({ state: 'succeeded', progress: 1 });
  });

  it('cancels a running job and returns its final state', async () => {
    const job = await services.call('jobs.startDiagnostics', { steps: 1000, stepMs: 20 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const cancelled = await services.call('jobs.cancel', { jobId: job.id });
    expect(cancelled).toMatchObject({ id: job.id, state: 'cancelled' });
    expect(cancelled.progress).toBeLessThan(0.5);
  });

  it('pauses an engine job and resumes it after the steps already done', async () => {
    const updates: Job[] = [];
    const off = services.events.on('job.update', (u) => updates.push(u));
    const job = await services.call('jobs.startDiagnostics', { steps: 40, stepMs: 20 });
    expect(job.pausable).toBe(true);
    await waitFor(() => updates.some((u) => u.id === job.id && u.progress >= 0.2));
    const paused = await services.call('jobs.pause', { jobId: job.id });
    expect(paused).toMatchObject({ state: 'paused', resumable: true, pausable: false });
    expect(paused.progress).toBeGreaterThan(0.1);
    expect(paused.progress).toBeLessThan(1);
    updates.length = 0;
    await services.call('jobs.resume', { jobId: job.id });
    await waitFor(() => updates.some((u) => u.id === job.id && u.state === 'succeeded'));
    off();
    // The resumed run starts after the steps done before the pause: its first progress is past the paused point.
    const firstProgress = updates.find((u) => u.id === job.id && u.state === 'running' && u.progress > 0);
    expect(firstProgress!.progress).toBeGreaterThanOrEqual(paused.progress);
    const stored = (await services.call('jobs.list', {})).filter((j) => j.id === job.id);
    expect(stored).toEqual([expect.objectContaining({ state: 'succeeded', progress: 1 })]);
  });

  it('marks a job interrupted when the engine dies, reports status events, and keeps working', async () => {
    const statuses: EngineStatus['state'][] = [];
    const off = services.events.on('engine.status', (status) => statuses.push(status.state));
    const job = await services.call('jobs.startDiagnostics', { steps: 1000, stepMs: 20 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    process.kill(engine.status().pid!, 'SIGKILL');
    await waitFor(() => statuses.includes('ready'), 45_000); // a restart spawns a process: slow on a loaded machine
    off();
    expect(statuses).toEqual(['crashed', 'restarting', 'ready']);
    const stored = (await services.call('jobs.list', {})).find((j) => j.id === job.id);
    expect(stored?.state).toBe('interrupted');
    expect(stored?.message).toMatch(/engine stopped \(signal SIGKILL\).*Start the job again/);
    await expect(services.call('engine.info', {})).resolves.toMatchObject({ ortVersion: '1.30.0' });
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineStatus } from '../contract/api';
import { EngineHost } from './host';
import { nodeEngineSpawner } from './spawn-node';
import type { DiagnosticsProgress } from '../contract/engine';

// One real engine process (forked through tsx) shared by these tests: process start-up is the slow part.
describe('EngineHost with a real forked engine', () => {
  let host: EngineHost;

  beforeAll(async () => {
    host = new EngineHost({ spawn: nodeEngineSpawner(), restartDelaysMs: [50] });
    await host.start();
  });
  afterAll(async () => {
    await host.stop();
  });

  it('answers info with the ORT version, providers and machine facts', async () => {
    const info = await host.request('info');
    expect(info.ortVersion).toBe('1.30.0');
    const cpu = info.executionProviders.find((p) => p.name === 'cpu');
    expect(cpu?.available).toBe(true);
    const cuda = info.executionProviders.find((p) => p.name === 'cuda');
    if (cuda && !cuda.available) expect(cuda.detail).toContain('ONNXRUNTIME_NODE_INSTALL=cuda12');
    expect(info.cpuCount).toBeGreaterThan(0);
    expect(info.totalMemoryBytes).toBeGreaterThan(info.freeMemoryBytes * 0.99);
    expect(info.pid).toBe(host.status().pid);
    expect(info.pid).not.toBe(process.pid);
  });

  it('streams diagnostics progress events in order and returns the result', async () => {
    const progress: DiagnosticsProgress[] = [];
    const result = await host.request(
      'diagnostics',
      { steps: 5, stepMs: 5 },
      { onEvent: (event, data) => event === 'progress' && progress.push(data as DiagnosticsProgress) },
    );
    expect(result.steps).toBe(5);
    expect(progress.map((p) => p.step)).toEqual([1, 2, 3, 4, 5]);
    expect(progress.at(-1)?.fraction).toBe(1);
  });

  it('exposes events as an async iterable through stream()', async () => {
    const call = host.stream('diagnostics', { steps: 3, stepMs: 1 });
    const seen: string[] = [];
    for await (const { event } of call.events) seen.push(event);
    expect(seen).toEqual(['progress', 'progress', 'progress']);
    await expect(call.result).resolves.toMatchObject({ steps: 3 });
  });

  it('cancels a running diagnostics job after its first progress event', async () => {
    const steps: number[] = [];
    const call = host.stream('diagnostics', { steps: 1000, stepMs: 20 });
    for await (const { data } of call.events) {
      steps.push((data as DiagnosticsProgress).step);
      call.cancel();
    }
    await expect(call.result).rejects.toMatchObject({ code: 'cancelled' });
    expect(steps[0]).toBe(1);
    expect(steps.length).toBeLessThan(1000); // stopped long before the end (events already in flight may still arrive)
  });

  it('cancels through an AbortSignal and rejects bad calls with codes', async () => {
    const controller = new AbortController();
    const pending = host.request('diagnostics', { steps: 100, stepMs: 50 }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 30);
    await expect(pending).rejects.toMatchObject({ code: 'cancelled' });
    // @ts-expect-error: not a method of the engine contract (the host refuses it without asking the engine)
    await expect(host.request('nope')).rejects.toMatchObject({ code: 'unknown_method' });
    await expect(host.request('diagnostics', { steps: -1, stepMs: 1 })).rejects.toMatchObject({ code: 'bad_request' });
    await expect(host.request('diagnostics', { steps: 100, stepMs: 50 }, { timeoutMs: 40 })).rejects.toMatchObject({
      code: 'timeout',
    });
  });

  it("survives a terminal's Ctrl+C (SIGINT to the process group): the host decides how to stop", async () => {
    const before = host.status();
    process.kill(before.pid!, 'SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const info = await host.request('info');
    expect(info.pid).toBe(before.pid);
    expect(host.status()).toMatchObject({ state: 'ready', restarts: before.restarts });
  });

  it('notices kill -9, rejects the pending call, restarts and serves new calls', async () => {
    const states: EngineStatus['state'][] = [];
    const unsubscribe = host.onStatus((status) => states.push(status.state));
    const oldPid = host.status().pid!;
    const pending = host.request('diagnostics', { steps: 1000, stepMs: 20 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    process.kill(oldPid, 'SIGKILL');

    const error = await pending.then(
      () => undefined,
      (e: Error & { code?: string }) => e,
    );
    expect(error?.code).toBe('engine_crashed');
    expect(error?.message).toContain('SIGKILL');
    expect(error?.message).toContain("'diagnostics'");

    await host.start(); // waits for the automatic restart
    unsubscribe();
    expect(states).toEqual(['crashed', 'restarting', 'ready']);
    expect(host.status()).toMatchObject({ state: 'ready', restarts: 1 });
    const info = await host.request('info');
    expect(info.pid).not.toBe(oldPid);
  });
});

import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { EngineChild, EngineExit } from './child';
import { EngineHost } from './host';
import type { HostToEngine } from './protocol';

/** An in-memory engine: answers every request with its params, says ready at once, dies on demand. */
class FakeChild implements EngineChild {
  static nextPid = 1000;
  readonly pid = FakeChild.nextPid++;
  private messageListener: (message: unknown) => void = () => undefined;
  private exitListener: (exit: EngineExit) => void = () => undefined;
  constructor() {
    queueMicrotask(() => this.messageListener({ type: 'ready', pid: this.pid, methods: ['echo'] }));
  }
  postMessage(message: HostToEngine): void {
    if (message.type === 'request') {
      queueMicrotask(() => this.messageListener({ type: 'response', id: message.id, ok: true, result: message.params }));
    }
  }
  onMessage(listener: (message: unknown) => void): void {
    this.messageListener = listener;
  }
  onExit(listener: (exit: EngineExit) => void): void {
    this.exitListener = listener;
  }
  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    queueMicrotask(() => this.exitListener({ code: null, signal }));
  }
}

/** The fake engine's one method: it answers with its params. */
const echoMethods = { echo: { params: z.record(z.string(), z.unknown()), result: z.record(z.string(), z.unknown()) } };

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe('EngineHost restart policy', () => {
  it('stops restarting after maxRestarts crashes in the window, then restart() recovers', async () => {
    const children: FakeChild[] = [];
    const host = new EngineHost({
      methods: echoMethods,
      spawn: () => {
        const child = new FakeChild();
        children.push(child);
        return child;
      },
      restartDelaysMs: [1],
      maxRestarts: 2,
    });
    await host.start();
    for (let crash = 1; crash <= 3; crash++) {
      children.at(-1)!.kill('SIGKILL');
      // Wait on the state, not on time: a loaded machine may take longer than any fixed pause.
      await until(() => (crash < 3 ? children.length === crash + 1 && host.status().state === 'ready' : host.status().state === 'crashed'));
    }
    await settle(); // a restart that should not happen would have been scheduled by now
    expect(children).toHaveLength(3); // first + 2 restarts; the third crash is not restarted
    expect(host.status()).toMatchObject({ state: 'crashed', restarts: 2, lastError: 'engine exited with signal SIGKILL' });
    await expect(host.request('echo', { a: 1 })).rejects.toThrow(/crashed too often.*Restart it/);

    const status = await host.restart();
    expect(status.state).toBe('ready');
    await expect(host.request('echo', { a: 2 })).resolves.toEqual({ a: 2 });
    await host.stop();
    expect(host.status().state).toBe('stopped');
    await expect(host.request('echo')).rejects.toMatchObject({ code: 'engine_stopped' });
  });

  it('queues requests made while the engine starts and sends them once it is ready', async () => {
    const host = new EngineHost({ methods: echoMethods, spawn: () => new FakeChild() });
    const started = host.start();
    const answer = host.request('echo', { queued: true });
    await started;
    await expect(answer).resolves.toEqual({ queued: true });
    await host.stop();
  });

  it('treats an engine that never says ready as crashed', async () => {
    const silent: EngineChild = {
      pid: 1,
      postMessage: () => undefined,
      onMessage: () => undefined,
      onExit(listener) {
        this.kill = (signal) => queueMicrotask(() => listener({ code: null, signal: signal ?? 'SIGTERM' }));
      },
      kill: () => undefined,
    };
    const host = new EngineHost({ spawn: () => silent, readyTimeoutMs: 10, maxRestarts: 0 });
    await expect(host.start()).rejects.toThrow(/did not start: engine exited with signal SIGKILL/);
  });
});

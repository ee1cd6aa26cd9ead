// A crashed engine leaves one log entry saying how it ended, what it was running and what it printed last.
import { describe, expect, it } from 'vitest';
import { fakeEngineChild as fakeChild } from '../testing/fake-engine-child';
import { EngineHost, OutputTail } from './host';

describe('engine crash log', () => {
  it('logs the signal, the request in flight (no chat text) and the last lines the engine printed', async () => {
    const fake = fakeChild();
    const host = new EngineHost({ spawn: () => fake.child, restartDelaysMs: [60_000] });
    const logs: string[] = [];
    host.onLog(({ level, message }) => level === 'error' && logs.push(message));
    const started = host.start();
    fake.ready();
    await started;
    const call = host.request('generate.run', { modelId: 'm-1', messages: [{ role: 'user', content: 'my secret question' }] });
    fake.print('loading model\n'.repeat(30));
    fake.print('terminate called after throwing an instance of std::bad_alloc\n  what():  std::bad_al');
    fake.print('loc\n');
    fake.die({ code: null, signal: 'SIGABRT' });
    await expect(call).rejects.toThrow(/The engine stopped \(signal SIGABRT\)/);
    expect(logs).toHaveLength(1);
    const [report] = logs;
    expect(report).toMatch(/^engine: crashed \(signal SIGABRT\) while running 'generate\.run' \(request r\d+, modelId m-1\); last output:\n/);
    expect(report).toContain('\n  terminate called after throwing an instance of std::bad_alloc\n    what():  std::bad_alloc');
    expect(report).not.toContain('my secret question');
    expect(report.split('\n')).toHaveLength(1 + OutputTail.MAX_LINES);
    await host.stop();
  });

  it('an exit code with nothing running and nothing printed says so', async () => {
    const fake = fakeChild();
    const host = new EngineHost({ spawn: () => fake.child, restartDelaysMs: [60_000] });
    const logs: string[] = [];
    host.onLog(({ message }) => logs.push(message));
    const started = host.start();
    fake.ready();
    await started;
    fake.die({ code: 134, signal: null });
    expect(logs).toEqual(['engine: crashed (exit code 134) while running no request; it printed nothing']);
    await host.stop();
  });
});

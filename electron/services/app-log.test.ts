// An engine crash lands in the log file, and Settings can read the log's end through app.log.
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EngineHost } from '../engine/host';
import { fakeEngineChild } from '../testing/fake-engine-child';
import { readLogTail } from './app';
import { createServices } from './index';

const root = mkdtempSync(path.join(os.tmpdir(), 'distillery-app-log-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('app.log', () => {
  it('shows an engine crash with its signal, request and last output', async () => {
    const fake = fakeEngineChild();
    const engine = new EngineHost({ spawn: () => fake.child, restartDelaysMs: [60_000] });
    const services = createServices({ dataDir: path.join(root, 'data'), engineHost: engine, transport: 'http', version: '0' });
    const started = engine.start();
    fake.ready();
    await started;
    const info = await services.call('app.info', {});
    expect(info.logFile).toBe(path.join(root, 'data', 'logs', 'distillery.log'));
    const call = engine.request('generate.run', { modelId: 'm-7', messages: [{ role: 'user', content: 'hi' }] }).catch(() => undefined);
    fake.print('Segmentation fault in MatMulNBits\n');
    fake.die({ code: null, signal: 'SIGSEGV' });
    await call;
    let log = await services.call('app.log', {});
    for (let i = 0; i < 100 && !log.text.includes('SIGSEGV'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20)); // the log stream writes asynchronously
      log = await services.call('app.log', {});
    }
    expect(log.file).toBe(info.logFile);
    // Every request in flight is named (the services' own start-up call to the engine may be one of them).
    expect(log.text).toMatch(/error engine: crashed \(signal SIGSEGV\) while running .*'generate\.run' \(request r\d+, modelId m-7\); last output:\n {2}Segmentation fault in MatMulNBits/);
    await engine.stop();
    await services.close();
  });

  it('reads only the end of a large log, from a line start', async () => {
    const file = path.join(root, 'big.log');
    for (let i = 0; i < 5000; i++) appendFileSync(file, `line ${i} ${'x'.repeat(40)}\n`);
    const tail = await readLogTail(file, 1000);
    expect(tail.truncated).toBe(true);
    expect(tail.text).toMatch(/^line \d+ x+\n/);
    expect(tail.text.endsWith(`line 4999 ${'x'.repeat(40)}\n`)).toBe(true);
    expect(await readLogTail(path.join(root, 'none.log'))).toEqual({ text: '', truncated: false });
  });
});

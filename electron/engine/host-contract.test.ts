// The host checks what comes back from the engine against the engine contract: a malformed result or event from a
// buggy engine is a clear error naming the method (and the work is cancelled), never a value cast to the wrong type.
import { describe, expect, it } from 'vitest';
import { fakeEngineChild } from '../testing/fake-engine-child';
import { EngineHost } from './host';

async function readyHost() {
  const fake = fakeEngineChild();
  const host = new EngineHost({ spawn: () => fake.child, restartDelaysMs: [60_000] });
  const logs: string[] = [];
  host.onLog(({ level, message }) => level === 'error' && logs.push(message));
  const started = host.start();
  fake.ready();
  await started;
  /** The id of the last request the host sent. */
  const lastId = () => fake.sent.filter((m) => m.type === 'request').at(-1)!.id;
  /** Stops the host; the fake process exits when told to stop, as a real one does. */
  const stop = async () => {
    const stopped = host.stop();
    fake.die({ code: 0, signal: null });
    await stopped;
  };
  return { fake, host, logs, lastId, stop };
}

const stats = {
  promptTokens: 5, timeToFirstTokenMs: 12, thinkingTokens: 3, thinkingMs: 40, answerTokens: 2, completionTokens: 5,
  decodeTokensPerSecond: 50, loopOverheadPct: 1, totalMs: 100, provider: 'cpu', dtype: 'q4', finishReason: 'stop',
  thinkingBudgetHit: false, thinkingOpen: false, seed: 7,
};
const model = {
  modelId: 'm', dir: '/models/m', provider: 'cpu', dtype: 'q4', contextLength: 512, fallbacks: [], loadMs: 3,
  estimate: { weightsBytes: 1, kvCacheBytes: 1, activationBytes: 1, totalBytes: 3, availableBytes: 10, fits: true },
};
const run = { modelId: 'm', messages: [{ role: 'user' as const, content: 'hi' }] };

describe('EngineHost and the engine contract', () => {
  it('hands on results and events that match the contract, typed by the method', async () => {
    const { fake, host, lastId, stop } = await readyHost();
    const call = host.stream('generate.run', run);
    const id = lastId();
    fake.send({ type: 'event', id, event: 'text', data: { type: 'reasoning', text: 'Hm', tokens: 1 } });
    fake.send({ type: 'event', id, event: 'thought', data: { ms: 40, tokens: 3 } });
    fake.send({ type: 'response', id, ok: true, result: { reasoning: 'Hm', answer: '4', stats, model } });
    const events = [];
    for await (const event of call.events) events.push(event);
    expect(events).toEqual([
      { event: 'text', data: { type: 'reasoning', text: 'Hm', tokens: 1 } },
      { event: 'thought', data: { ms: 40, tokens: 3 } },
    ]);
    const result = await call.result;
    expect(result.model.estimate.fits).toBe(true);
    expect(result.stats.finishReason).toBe('stop');
    await stop();
  });

  it('refuses a result that does not match, naming the method and the field, and logs it', async () => {
    const { fake, host, logs, lastId, stop } = await readyHost();
    const pending = host.request('generate.run', run);
    fake.send({ type: 'response', id: lastId(), ok: true, result: { reasoning: 'Hm', answer: 4, stats, model } });
    await expect(pending).rejects.toMatchObject({
      code: 'engine_bad_answer',
      message: expect.stringMatching(/^The engine answered 'generate\.run' with a result that does not match the contract: answer: .*string/),
    });
    expect(logs).toEqual([expect.stringContaining("engine: 'generate.run' (request r")]);
    await stop();
  });

  it('refuses a malformed event: the call fails with a clear error and the engine is told to stop the work', async () => {
    const { fake, host, lastId, stop } = await readyHost();
    const call = host.stream('generate.run', run);
    const id = lastId();
    fake.send({ type: 'event', id, event: 'text', data: { type: 'reasoning', text: 'ok', tokens: 1 } });
    fake.send({ type: 'event', id, event: 'text', data: { type: 'shouting', text: 'HM', tokens: 2 } });
    await expect(call.result).rejects.toMatchObject({
      code: 'engine_bad_answer',
      message: expect.stringMatching(/'generate\.run' with a 'text' event that does not match the contract: type: /),
    });
    const seen = [];
    for await (const event of call.events) seen.push(event.data);
    expect(seen).toEqual([{ type: 'reasoning', text: 'ok', tokens: 1 }]);
    expect(fake.sent.at(-1)).toEqual({ type: 'cancel', id });
    await stop();
  });

  it('refuses an event the method does not declare', async () => {
    const { fake, host, lastId, stop } = await readyHost();
    const pending = host.request('diagnostics', { steps: 2, stepMs: 1 });
    fake.send({ type: 'event', id: lastId(), event: 'text', data: { type: 'answer', text: 'x', tokens: 1 } });
    await expect(pending).rejects.toMatchObject({
      code: 'engine_bad_answer',
      message: expect.stringContaining("The engine answered 'diagnostics' with an event 'text' that the contract does not declare for it"),
    });
    await stop();
  });

  it('refuses a method the contract does not have, without sending it', async () => {
    const { fake, host, stop } = await readyHost();
    // @ts-expect-error: not a method of the engine contract
    await expect(host.request('generate.everything')).rejects.toMatchObject({
      code: 'unknown_method',
      message: expect.stringContaining("The engine contract has no method 'generate.everything'"),
    });
    expect(fake.sent).toEqual([]);
    await stop();
  });
});

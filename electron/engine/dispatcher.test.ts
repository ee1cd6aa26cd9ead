import { describe, expect, it } from 'vitest';
import { startEngineDispatcher } from './dispatcher';
import type { ParentPort } from './parent-port';
import { z } from 'zod';
import { registerMethod } from './registry';
import { throwIfCancelled, yieldToEventLoop } from './yield';
import type { EngineToHost } from './protocol';

// A handler doing synchronous work in slices: cancel must get in between slices.
registerMethod('test.busy', { params: z.object({}), result: z.never(), events: { slice: z.number() } }, async (_params, ctx) => {
  let slices = 0;
  for (;;) {
    const until = Date.now() + 2;
    while (Date.now() < until); // a slice of blocking work, like one session.run
    slices++;
    ctx.emit('slice', slices);
    await yieldToEventLoop();
    throwIfCancelled(ctx.signal);
  }
});

// Params are checked against the method's spec before the handler runs; the handler gets the parsed values.
const echoSpec = { params: z.object({ n: z.number().int().min(1), label: z.string().default('x') }), result: z.unknown() };
registerMethod('test.echo', echoSpec, async (params) => params);

function fakePort() {
  const sent: EngineToHost[] = [];
  let deliver: (message: unknown) => void = () => undefined;
  const port: ParentPort = {
    postMessage: (message) => sent.push(message as EngineToHost),
    onMessage: (listener) => (deliver = listener),
    onDisconnect: () => undefined,
  };
  return { port, sent, deliver: (message: unknown) => deliver(message) };
}

describe('engine dispatcher', () => {
  it('announces ready, lets a cancel in between slices of blocking work, and answers once', async () => {
    const { port, sent, deliver } = fakePort();
    startEngineDispatcher(port);
    expect(sent[0]).toMatchObject({ type: 'ready', methods: expect.arrayContaining(['test.busy']) });
    deliver({ type: 'request', id: 'a', method: 'test.busy', params: {} });
    await new Promise((resolve) => setTimeout(resolve, 20));
    deliver({ type: 'cancel', id: 'a' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const responses = sent.filter((m) => m.type === 'response');
    expect(responses).toEqual([{ type: 'response', id: 'a', ok: false, error: { code: 'cancelled', message: 'Cancelled.' } }]);
    expect(sent.filter((m) => m.type === 'event').length).toBeGreaterThan(1);
  });

  it('drops malformed messages with a warning instead of crashing', () => {
    const { port, sent, deliver } = fakePort();
    startEngineDispatcher(port);
    deliver({ type: 'request', id: 42 });
    deliver('garbage');
    expect(sent.filter((m) => m.type === 'log' && m.level === 'warn')).toHaveLength(2);
  });

  it('refuses params that do not match the method\'s spec, naming the method and the field, without running it', async () => {
    const { port, sent, deliver } = fakePort();
    startEngineDispatcher(port);
    deliver({ type: 'request', id: 'bad', method: 'test.echo', params: { n: 0 } });
    deliver({ type: 'request', id: 'good', method: 'test.echo', params: { n: 2 } });
    deliver({ type: 'request', id: 'none', method: 'test.nothing', params: {} });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const responses = sent.filter((m) => m.type === 'response');
    expect(responses).toContainEqual({
      type: 'response', id: 'bad', ok: false,
      error: { code: 'bad_request', message: expect.stringMatching(/^Invalid params for 'test\.echo': n: .*>=1/) },
    });
    expect(responses).toContainEqual({ type: 'response', id: 'good', ok: true, result: { n: 2, label: 'x' } });
    expect(responses).toContainEqual({
      type: 'response', id: 'none', ok: false,
      error: { code: 'unknown_method', message: expect.stringContaining("The engine has no method 'test.nothing'") },
    });
  });
});

import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Job } from '../../electron/contract/api';
import { ApiError } from './errors';
import { createHttpTransport, type EventSourceLike, type HttpTransport } from './httpTransport';

class FakeEventSource implements EventSourceLike {
  static opened: FakeEventSource[] = [];
  readyState = 0;
  onopen: ((event: Event) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  readonly handlers = new Map<string, ((event: MessageEvent) => void)[]>();
  closed = false;
  constructor(readonly url: string) {
    FakeEventSource.opened.push(this);
  }
  addEventListener(type: string, listener: (event: MessageEvent) => void) {
    this.handlers.set(type, [...(this.handlers.get(type) ?? []), listener]);
  }
  close() {
    this.closed = true;
    this.readyState = 2;
  }
  open() {
    this.readyState = 1;
    this.onopen?.(new Event('open'));
  }
  send(type: string, data: string) {
    for (const handler of this.handlers.get(type) ?? []) handler({ data } as MessageEvent);
  }
  fail(closed: boolean) {
    this.readyState = closed ? 2 : 0;
    this.onerror?.(new Event('error'));
  }
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

const status = { state: 'ready', restarts: 0, since: 1, pid: 7 };
const job: Job = { id: 'j1', kind: 'diagnostics', state: 'running', title: 'Test', progress: 0.25, pausable: false, resumable: false, createdAt: 1, updatedAt: 2 };

let transport: HttpTransport | undefined;
afterEach(() => {
  transport?.close();
  FakeEventSource.opened = [];
  vi.useRealTimers();
});

function make(fetchImpl: (url: string, init?: RequestInit) => Promise<Response>) {
  const fetchSpy = vi.fn(fetchImpl);
  transport = createHttpTransport({
    baseUrl: 'http://127.0.0.1:4000/',
    token: 'tok en',
    fetch: fetchSpy as unknown as typeof fetch,
    createEventSource: (url) => new FakeEventSource(url),
    reconnectDelayMs: () => 10,
  });
  return { transport, fetchSpy, stream: () => FakeEventSource.opened.at(-1)! };
}

describe('httpTransport calls', () => {
  it('POSTs the input with the bearer token and returns the validated output', async () => {
    const { transport, fetchSpy } = make(async () => json(200, status));
    await expect(transport.call('engine.status', {})).resolves.toEqual(status);
    const [url, init] = fetchSpy.mock.calls[0];
    expect(url).toBe('http://127.0.0.1:4000/api/call/engine.status');
    expect(init?.method).toBe('POST');
    expect((init?.headers as Record<string, string>).Authorization).toBe('Bearer tok en');
    expect(transport.connection()).toBe('connected');
  });

  it('turns an error body into an ApiError with its code', async () => {
    const { transport } = make(async () => json(404, { error: { code: 'not_found', message: 'There is no job with id x.' } }));
    const failure = transport.call('jobs.cancel', { jobId: 'x' });
    await expect(failure).rejects.toBeInstanceOf(ApiError);
    await expect(failure).rejects.toMatchObject({ code: 'not_found', message: 'There is no job with id x.' });
  });

  it('marks the link unauthorized on 401', async () => {
    const { transport } = make(async () => json(401, { error: { code: 'unauthorized', message: 'no' } }));
    await expect(transport.call('app.info', {})).rejects.toMatchObject({ code: 'unauthorized' });
    expect(transport.connection()).toBe('unauthorized');
  });

  it('marks the link disconnected when the server cannot be reached', async () => {
    const { transport } = make(async () => {
      throw new TypeError('fetch failed');
    });
    await expect(transport.call('app.info', {})).rejects.toMatchObject({ code: 'unreachable' });
    expect(transport.connection()).toBe('disconnected');
  });

  it('rejects bad input before sending and a reply that breaks the contract', async () => {
    const { transport, fetchSpy } = make(async () => json(200, { state: 'exploded' }));
    await expect(transport.call('jobs.startDiagnostics', { steps: 0, stepMs: 10 })).rejects.toMatchObject({ code: 'bad_request' });
    expect(fetchSpy).not.toHaveBeenCalled();
    await expect(transport.call('engine.status', {})).rejects.toMatchObject({ code: 'bad_response' });
  });
});

describe('httpTransport events', () => {
  it('opens one stream with the token and delivers valid events to subscribers', () => {
    const { transport, stream } = make(async () => json(200, status));
    expect(stream().url).toBe('http://127.0.0.1:4000/api/events?token=tok%20en');
    const seen: unknown[] = [];
    const unsubscribe = transport.on('job.update', (payload) => seen.push(payload));
    stream().open();
    expect(transport.connection()).toBe('connected');
    stream().send('job.update', JSON.stringify(job));
    stream().send('job.update', JSON.stringify({ id: 'broken' }));
    stream().send('job.update', 'not json');
    unsubscribe();
    stream().send('job.update', JSON.stringify({ ...job, progress: 0.5 }));
    expect(seen).toEqual([job]);
  });

  it('reopens a closed stream after checking the server still takes the token', async () => {
    vi.useFakeTimers();
    const { transport, stream, fetchSpy } = make(async () => json(200, status));
    const first = stream();
    first.open();
    first.fail(true);
    expect(transport.connection()).toBe('disconnected');
    await vi.advanceTimersByTimeAsync(20);
    expect(fetchSpy).toHaveBeenCalledTimes(1);
    expect(FakeEventSource.opened).toHaveLength(2);
    expect(first.closed).toBe(true);
    stream().open();
    expect(transport.connection()).toBe('connected');
  });

  it('stops reconnecting when the token is refused', async () => {
    vi.useFakeTimers();
    const { transport, stream } = make(async () => json(401, {}));
    stream().fail(true);
    await vi.advanceTimersByTimeAsync(100);
    expect(transport.connection()).toBe('unauthorized');
    expect(FakeEventSource.opened).toHaveLength(1);
  });
});

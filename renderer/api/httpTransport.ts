import { ApiErrorBody, events, type ApiMethod, type EventName } from '../../electron/contract/api';
import { ApiError } from './errors';
import { createConnectionCell, type RendererTransport } from './transport';
import { checkInput, checkOutput, parseEvent } from './validate';

/** The part of EventSource the transport uses (a fake stands in for it in tests). */
export interface EventSourceLike {
  readonly readyState: number;
  onopen: ((event: Event) => void) | null;
  onerror: ((event: Event) => void) | null;
  addEventListener(type: string, listener: (event: MessageEvent) => void): void;
  close(): void;
}

export interface HttpTransportOptions {
  /** Where the server is, e.g. `http://127.0.0.1:5123` (the page's own origin in practice). */
  baseUrl: string;
  token: string;
  fetch?: typeof fetch;
  createEventSource?: (url: string) => EventSourceLike;
  /** Wait before re-opening a closed event stream; grows with each failed attempt. */
  reconnectDelayMs?: (attempt: number) => number;
}

const EVENT_SOURCE_CLOSED = 2;
const defaultDelay = (attempt: number) => Math.min(500 * 2 ** attempt, 10_000);

export interface HttpTransport extends RendererTransport {
  close(): void;
}

/** Headless mode: calls are `POST /api/call/:method` with a bearer token; events come over SSE and reconnect. */
export function createHttpTransport(options: HttpTransportOptions): HttpTransport {
  const base = options.baseUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const openStream = options.createEventSource ?? ((url: string) => new EventSource(url) as EventSourceLike);
  const delayFor = options.reconnectDelayMs ?? defaultDelay;
  const connection = createConnectionCell('connecting');
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  let stream: EventSourceLike | null = null;
  let reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  let attempts = 0;
  let closed = false;

  async function post(method: ApiMethod, body: unknown): Promise<unknown> {
    let response: Response;
    try {
      response = await doFetch(`${base}/api/call/${encodeURIComponent(method)}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${options.token}` },
        body: JSON.stringify(body ?? {}),
      });
    } catch {
      connection.set('disconnected');
      throw new ApiError('unreachable', 'Cannot reach the Distillery server. Is `npm run serve` still running?');
    }
    if (response.status === 401) {
      connection.set('unauthorized');
      throw new ApiError('unauthorized', 'The server refused the access token. Open the URL that `npm run serve` printed.');
    }
    if (connection.get() !== 'unauthorized') connection.set('connected');
    const payload: unknown = await response.json().catch(() => undefined);
    if (response.ok) return payload;
    const failure = ApiErrorBody.safeParse(payload);
    if (failure.success) throw new ApiError(failure.data.error.code, failure.data.error.message);
    throw new ApiError('http_' + response.status, `The server answered ${response.status} ${response.statusText}`.trim());
  }

  function deliver(event: EventName, data: string): void {
    let payload: unknown;
    try {
      payload = JSON.parse(data);
    } catch {
      console.warn(`Dropped a ${event} event that is not JSON`);
      return;
    }
    const parsed = parseEvent(event, payload);
    if (!parsed.ok) return;
    for (const listener of [...(listeners.get(event) ?? [])]) listener(parsed.value);
  }

  function connectStream(): void {
    if (closed) return;
    const source = openStream(`${base}/api/events?token=${encodeURIComponent(options.token)}`);
    stream = source;
    for (const name of Object.keys(events) as EventName[]) {
      source.addEventListener(name, (message) => deliver(name, String(message.data)));
    }
    source.onopen = () => {
      attempts = 0;
      connection.set('connected');
    };
    source.onerror = () => {
      if (connection.get() !== 'unauthorized') connection.set('disconnected');
      // The browser retries by itself while the stream is CONNECTING; once CLOSED (e.g. a 401 or 403) it is ours to do.
      if (source.readyState === EVENT_SOURCE_CLOSED) scheduleReconnect();
    };
  }

  function scheduleReconnect(): void {
    stream?.close();
    stream = null;
    if (closed || reconnectTimer) return;
    reconnectTimer = setTimeout(() => {
      reconnectTimer = null;
      attempts += 1;
      // A plain call tells a stale token (stop: the user must open a new URL) from a server that is down (retry).
      post('engine.status', {}).then(
        () => connectStream(),
        (error: unknown) => {
          if (error instanceof ApiError && error.code === 'unauthorized') return;
          scheduleReconnect();
        },
      );
    }, delayFor(attempts));
  }

  connectStream();

  return {
    kind: 'http',
    async call(method, input) {
      const body = checkInput(method, input);
      return checkOutput(method, await post(method, body)) as never;
    },
    on(event, listener) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      const entry = listener as (payload: unknown) => void;
      set.add(entry);
      return () => {
        set.delete(entry);
      };
    },
    connection: connection.get,
    onConnection: connection.subscribe,
    close() {
      closed = true;
      if (reconnectTimer) clearTimeout(reconnectTimer);
      stream?.close();
    },
  };
}

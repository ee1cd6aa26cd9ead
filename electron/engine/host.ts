/**
 * EngineHost: the host side of the engine process. Sends requests, routes streamed events and answers back to their
 * callers, cancels, and notices when the engine dies: every pending request is rejected with a clear error and the
 * engine is restarted with backoff (at most `maxRestarts` in `restartWindowMs`, then state 'crashed' until restart()).
 */
import type { EngineStatus } from '../contract/api';
import {
  describeIssues,
  engineMethods,
  type EngineEvent,
  type EngineMethods,
  type EngineParamsInput,
  type EngineResult,
  type EngineTable,
} from '../contract/engine';
import { describeExit, type EngineChild, type EngineExit, type SpawnEngine } from './child';
import { EngineError, EngineErrorCode, parseEngineMessage, type EngineToHost, type LogLevel } from './protocol';
import { EventQueue } from './event-queue';

export interface EngineHostOptions<T extends EngineTable = EngineMethods> {
  spawn: SpawnEngine;
  /** The methods it may call, with the schemas their results and events are checked against (default: the engine's). */
  methods?: T;
  /** Delay before the n-th automatic restart in a window (the last value repeats). */
  restartDelaysMs?: number[];
  maxRestarts?: number;
  restartWindowMs?: number;
  /** How long a starting engine may take to say 'ready' before it counts as crashed. */
  readyTimeoutMs?: number;
  /** How long stop() waits after SIGTERM before SIGKILL. */
  stopTimeoutMs?: number;
}

export interface RequestOptions<E extends EngineStreamEvent = EngineStreamEvent> {
  /** Each streamed event, validated against the method's spec. */
  onEvent?: (...event: EventArgs<E>) => void;
  signal?: AbortSignal;
  /** Reject with code 'timeout' (and cancel in the engine) after this long. */
  timeoutMs?: number;
}

export interface EngineStreamEvent {
  event: string;
  data: unknown;
}

/** `[name, data]` for each event of a union, so a callback `(event, data) => ...` narrows data by name. */
type EventArgs<E extends EngineStreamEvent> = E extends unknown ? [event: E['event'], data: E['data']] : never;

export interface EngineCall<T, E extends EngineStreamEvent = EngineStreamEvent> {
  id: string;
  result: Promise<T>;
  /** The request's streamed events; ends when the request settles. */
  events: AsyncIterable<E>;
  cancel(): void;
}

/** A method's params, and the options of the call: params may be left out when the method needs none. */
type CallArgs<P, O> = Record<never, never> extends P ? [params?: P, options?: O] : [params: P, options?: O];

export interface EngineLog {
  level: LogLevel;
  message: string;
}

interface Pending {
  id: string;
  method: string;
  params: unknown;
  sent: boolean;
  onEvent?: (event: string, data: unknown) => void;
  resolve(value: unknown): void;
  reject(error: Error): void;
  cleanup(): void;
}

export class EngineHost<T extends EngineTable = EngineMethods> {
  private readonly options: Required<Omit<EngineHostOptions<T>, 'methods'>>;
  private readonly table: T;
  /** The last lines the current engine process printed, for the crash report. */
  private output: OutputTail | undefined;
  private child: EngineChild | undefined;
  private readonly pending = new Map<string, Pending>();
  private readonly statusListeners = new Set<(status: EngineStatus) => void>();
  private readonly logListeners = new Set<(log: EngineLog) => void>();
  private current: EngineStatus = { state: 'stopped', restarts: 0, since: Date.now() };
  private crashTimes: number[] = [];
  private restartTimer: NodeJS.Timeout | undefined;
  private readyTimer: NodeJS.Timeout | undefined;
  private nextId = 0;
  private methods: string[] = [];

  constructor({ methods, ...options }: EngineHostOptions<T>) {
    this.table = methods ?? (engineMethods as EngineTable as T);
    this.options = {
      restartDelaysMs: [250, 1000, 3000],
      maxRestarts: 5,
      restartWindowMs: 60_000,
      readyTimeoutMs: 30_000,
      stopTimeoutMs: 3000,
      ...options,
    };
  }

  status(): EngineStatus {
    return { ...this.current };
  }

  /** Methods the running engine registered (from its 'ready' message). */
  availableMethods(): string[] {
    return [...this.methods];
  }

  onStatus(listener: (status: EngineStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  onLog(listener: (log: EngineLog) => void): () => void {
    this.logListeners.add(listener);
    return () => this.logListeners.delete(listener);
  }

  /** Starts the engine if it is stopped; resolves when it is ready. */
  async start(): Promise<EngineStatus> {
    if (this.current.state === 'stopped') this.launch('starting');
    await this.whenReady();
    return this.status();
  }

  /** Manual restart: also the way out of 'crashed'. Kills a live engine first (its pending requests are rejected). */
  async restart(): Promise<EngineStatus> {
    this.crashTimes = [];
    clearTimeout(this.restartTimer);
    const old = this.child;
    this.child = undefined;
    if (old) {
      this.rejectAll(() => new EngineError(EngineErrorCode.stopped, 'The engine was restarted; try again.'));
      old.kill('SIGKILL');
    }
    this.launch('restarting');
    await this.whenReady();
    return this.status();
  }

  async stop(): Promise<void> {
    clearTimeout(this.restartTimer);
    clearTimeout(this.readyTimer);
    const child = this.child;
    this.child = undefined;
    this.rejectAll(() => new EngineError(EngineErrorCode.stopped, 'The engine was stopped.'));
    this.setStatus({ state: 'stopped', restarts: this.current.restarts });
    if (!child) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => child.kill('SIGKILL'), this.options.stopTimeoutMs);
      child.onExit(() => {
        clearTimeout(force);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  /** Calls `method` of the contract; its result is checked against the method's spec before it resolves. */
  request<M extends keyof T & string>(
    method: M,
    ...[params, options]: CallArgs<EngineParamsInput<T[M]>, RequestOptions<EngineEvent<T[M]>>>
  ): Promise<EngineResult<T[M]>> {
    return this.send<EngineResult<T[M]>>(method, params ?? {}, (options ?? {}) as RequestOptions).result;
  }

  /** Like request(), with the streamed events (each checked against the method's spec) as an async iterable. */
  stream<M extends keyof T & string>(
    method: M,
    ...[params, options]: CallArgs<EngineParamsInput<T[M]>, Omit<RequestOptions, 'onEvent'>>
  ): EngineCall<EngineResult<T[M]>, EngineEvent<T[M]>> {
    const queue = new EventQueue<EngineEvent<T[M]>>();
    const push = (event: string, data: unknown) => queue.push({ event, data } as EngineEvent<T[M]>);
    const call = this.send<EngineResult<T[M]>>(method, params ?? {}, { ...options, onEvent: push });
    call.result.then(
      () => queue.end(),
      () => queue.end(),
    );
    return { ...call, events: queue };
  }

  cancel(id: string): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    if (pending.sent && this.child) {
      this.post({ type: 'cancel', id });
    } else {
      this.settle(id, undefined, new EngineError(EngineErrorCode.cancelled, 'Cancelled.'));
    }
  }

  private send<R>(method: string, params: unknown, options: RequestOptions): Omit<EngineCall<R>, 'events'> {
    const id = `r${++this.nextId}`;
    const result = new Promise<R>((resolve, reject) => {
      const refusal = this.refusal() ?? this.unknownMethod(method);
      if (refusal) return reject(refusal);
      if (options.signal?.aborted) return reject(new EngineError(EngineErrorCode.cancelled, 'Cancelled.'));
      const onAbort = () => this.cancel(id);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const timer = options.timeoutMs
        ? setTimeout(() => this.timeOut(id, method, options.timeoutMs!), options.timeoutMs)
        : undefined;
      this.pending.set(id, {
        id,
        method,
        params,
        sent: false,
        onEvent: options.onEvent,
        resolve: resolve as (value: unknown) => void,
        reject,
        cleanup: () => {
          clearTimeout(timer);
          options.signal?.removeEventListener('abort', onAbort);
        },
      });
      if (this.current.state === 'ready') this.dispatch(id);
    });
    return { id, result, cancel: () => this.cancel(id) };
  }

  private refusal(): EngineError | undefined {
    if (this.current.state === 'stopped') {
      return new EngineError(EngineErrorCode.stopped, 'The engine is not running; start it first.');
    }
    if (this.current.state === 'crashed' && !this.restartTimer) {
      return new EngineError(
        EngineErrorCode.crashed,
        `The engine crashed too often (${this.current.lastError ?? 'unknown cause'}) and was not restarted. ` +
          'Restart it (Settings → Restart engine, or the engine.restart call).',
      );
    }
    return undefined;
  }

  private unknownMethod(method: string): EngineError | undefined {
    if (Object.hasOwn(this.table, method)) return undefined;
    return new EngineError(EngineErrorCode.unknownMethod, `The engine contract has no method '${method}'. Known methods: ${Object.keys(this.table).join(', ')}.`);
  }

  private timeOut(id: string, method: string, timeoutMs: number): void {
    if (!this.pending.has(id)) return;
    if (this.pending.get(id)!.sent) this.post({ type: 'cancel', id });
    this.settle(id, undefined, new EngineError(EngineErrorCode.timeout, `'${method}' took longer than ${timeoutMs} ms.`));
  }

  private dispatch(id: string): void {
    const pending = this.pending.get(id);
    if (!pending || pending.sent) return;
    pending.sent = true;
    this.post({ type: 'request', id, method: pending.method, params: pending.params });
  }

  private post(message: Parameters<EngineChild['postMessage']>[0]): void {
    try {
      this.child?.postMessage(message);
    } catch (error) {
      // The channel is closing: the exit handler will reject this request.
      this.emitLog('warn', `engine: could not send ${message.type}: ${(error as Error).message}`);
    }
  }

  private settle(id: string, value: unknown, error?: Error): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    pending.cleanup();
    if (error) pending.reject(error);
    else pending.resolve(value);
  }

  private rejectAll(makeError: (pending: Pending) => Error): void {
    for (const pending of [...this.pending.values()]) this.settle(pending.id, undefined, makeError(pending));
  }

  private launch(state: 'starting' | 'restarting'): void {
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const child = this.options.spawn();
    this.child = child;
    this.setStatus({ state, pid: child.pid, restarts: this.current.restarts, lastError: this.current.lastError });
    child.onMessage((raw) => {
      if (this.child === child) this.onMessage(raw);
    });
    const output = new OutputTail();
    this.output = output;
    child.onOutput?.((text) => output.push(text));
    child.onExit((exit) => {
      if (this.child === child) this.onCrash(exit);
    });
    clearTimeout(this.readyTimer);
    this.readyTimer = setTimeout(() => {
      if (this.child !== child || this.current.state === 'ready') return;
      this.emitLog('error', `engine: not ready after ${this.options.readyTimeoutMs} ms; killing it`);
      child.kill('SIGKILL');
    }, this.options.readyTimeoutMs);
  }

  private onMessage(raw: unknown): void {
    const message = parseEngineMessage(raw);
    if (!message) {
      this.emitLog('warn', 'engine: dropped a malformed message from the engine');
      return;
    }
    this.handle(message);
  }

  private handle(message: EngineToHost): void {
    switch (message.type) {
      case 'ready':
        clearTimeout(this.readyTimer);
        this.methods = message.methods;
        this.setStatus({ state: 'ready', pid: message.pid, restarts: this.current.restarts });
        for (const id of [...this.pending.keys()]) this.dispatch(id);
        return;
      case 'response':
        if (message.ok) this.answer(message.id, message.result);
        else this.settle(message.id, undefined, new EngineError(message.error.code, message.error.message));
        return;
      case 'event':
        this.deliver(message.id, message.event, message.data);
        return;
      case 'log':
        this.emitLog(message.level, message.message);
        return;
    }
  }

  /** Resolves with the result as the method's spec parses it, or rejects a malformed one naming the method. */
  private answer(id: string, raw: unknown): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    const parsed = this.table[pending.method].result.safeParse(raw);
    if (parsed.success) this.settle(id, parsed.data);
    else this.refuseAnswer(pending, `a result that does not match the contract: ${describeIssues(parsed.error)}`);
  }

  /** Hands a validated event to its request; an event the spec does not declare, or malformed data, fails the request. */
  private deliver(id: string, event: string, raw: unknown): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    const schema = this.table[pending.method].events?.[event];
    if (!schema) return this.refuseAnswer(pending, `an event '${event}' that the contract does not declare for it`);
    // Plain object schemas (the per-token `text` event has three fields): a check costs about a microsecond.
    const parsed = schema.safeParse(raw);
    if (!parsed.success) return this.refuseAnswer(pending, `a '${event}' event that does not match the contract: ${describeIssues(parsed.error)}`);
    pending.onEvent?.(event, parsed.data);
  }

  /** A buggy engine's answer: the caller gets a clear error (the work is cancelled in the engine), never a bad value. */
  private refuseAnswer(pending: Pending, what: string): void {
    this.emitLog('error', `engine: '${pending.method}' (request ${pending.id}) answered with ${what}`);
    if (pending.sent) this.post({ type: 'cancel', id: pending.id });
    this.settle(
      pending.id,
      undefined,
      new EngineError(EngineErrorCode.badAnswer, `The engine answered '${pending.method}' with ${what}. This is a bug in the engine; please report it.`),
    );
  }

  private onCrash(exit: EngineExit): void {
    clearTimeout(this.readyTimer);
    this.child = undefined;
    const cause = describeExit(exit);
    this.emitLog('error', crashReport(cause, [...this.pending.values()].filter((p) => p.sent), this.output?.lines() ?? []));
    const now = Date.now();
    this.crashTimes = [...this.crashTimes.filter((t) => now - t < this.options.restartWindowMs), now];
    const willRestart = this.crashTimes.length <= this.options.maxRestarts;
    const next = willRestart ? 'it is being restarted; try again in a moment' : 'restart it from Settings';
    this.rejectAll(
      (pending) =>
        new EngineError(EngineErrorCode.crashed, `The engine stopped (${cause}) while running '${pending.method}'; ${next}.`),
    );
    if (willRestart) {
      const delays = this.options.restartDelaysMs;
      const delay = delays[Math.min(this.crashTimes.length - 1, delays.length - 1)] ?? 0;
      // Set before the 'crashed' status goes out, so listeners can tell a restart is coming.
      this.restartTimer = setTimeout(() => {
        this.current = { ...this.current, restarts: this.current.restarts + 1 };
        this.launch('restarting');
      }, delay);
    }
    this.setStatus({ state: 'crashed', restarts: this.current.restarts, lastError: `engine exited with ${cause}` });
  }

  private whenReady(): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (status: EngineStatus) => {
        if (status.state === 'ready') {
          unsubscribe();
          resolve();
        } else if (status.state === 'stopped' || (status.state === 'crashed' && !this.restartTimer)) {
          unsubscribe();
          reject(new EngineError(EngineErrorCode.crashed, `The engine did not start: ${status.lastError ?? status.state}.`));
        }
      };
      const unsubscribe = this.onStatus(check);
      check(this.current);
    });
  }

  private setStatus(status: Omit<EngineStatus, 'since'>): void {
    this.current = { ...status, since: Date.now() };
    if (this.current.pid === undefined) delete this.current.pid;
    if (this.current.lastError === undefined) delete this.current.lastError;
    for (const listener of [...this.statusListeners]) listener(this.status());
  }

  private emitLog(level: LogLevel, message: string): void {
    for (const listener of [...this.logListeners]) listener({ level, message });
  }
}

/** The last lines a process printed (at most MAX_LINES, each cut to MAX_LINE_CHARS). */
export class OutputTail {
  static readonly MAX_LINES = 20;
  static readonly MAX_LINE_CHARS = 500;
  private readonly kept: string[] = [];
  private partial = '';

  push(text: string): void {
    const parts = (this.partial + text).split(/\r?\n/);
    this.partial = parts.pop()!.slice(-OutputTail.MAX_LINE_CHARS);
    for (const line of parts) if (line.trim()) this.keep(line);
  }

  lines(): string[] {
    return this.partial.trim() ? [...this.kept, this.partial].slice(-OutputTail.MAX_LINES) : [...this.kept];
  }

  private keep(line: string): void {
    this.kept.push(line.slice(0, OutputTail.MAX_LINE_CHARS));
    if (this.kept.length > OutputTail.MAX_LINES) this.kept.shift();
  }
}

/**
 * One log entry per crash: how the process ended, what it was doing (method, request id and the model or folder it
 * worked on; never chat text), and the last lines it printed (a native library's abort message is usually there).
 */
export function crashReport(cause: string, inFlight: { id: string; method: string; params: unknown }[], lastLines: string[]): string {
  const doing = inFlight.length
    ? inFlight.map((p) => `'${p.method}' (request ${p.id}${describeTarget(p.params)})`).join(', ')
    : 'no request';
  const output = lastLines.length ? `; last output:\n  ${lastLines.join('\n  ')}` : '; it printed nothing';
  return `engine: crashed (${cause}) while running ${doing}${output}`;
}

function describeTarget(params: unknown): string {
  if (typeof params !== 'object' || params === null) return '';
  const { modelId, dir, hfDir, outDir } = params as Record<string, unknown>;
  const parts = Object.entries({ modelId, dir, hfDir, outDir }).filter(([, v]) => typeof v === 'string').map(([k, v]) => `${k} ${v as string}`);
  return parts.length ? `, ${parts.join(', ')}` : '';
}

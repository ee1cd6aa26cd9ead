/**
 * Serves host requests inside the engine process: looks the method up in the registry, validates params against the
 * method's spec in the engine contract, runs the handler with an AbortSignal per request and answers exactly once per request.
 */
import { describeIssues } from '../contract/engine';
import { EngineError, EngineErrorCode, parseHostMessage, type EngineToHost, type LogLevel } from './protocol';
import { getHandler, registeredMethods, type HandlerContext } from './registry';
import type { ParentPort } from './parent-port';

export interface EngineDispatcher {
  /** Requests currently running, by id. */
  readonly running: ReadonlyMap<string, AbortController>;
}

export function startEngineDispatcher(port: ParentPort): EngineDispatcher {
  const running = new Map<string, AbortController>();
  const send = (message: EngineToHost) => port.postMessage(message);
  const log = (level: LogLevel, message: string) => send({ type: 'log', level, message });

  port.onMessage((raw) => {
    const message = parseHostMessage(raw);
    if (!message) {
      log('warn', `engine: dropped a malformed message from the host: ${safePreview(raw)}`);
      return;
    }
    if (message.type === 'cancel') {
      running.get(message.id)?.abort();
      return;
    }
    if (running.has(message.id)) {
      log('warn', `engine: request id ${message.id} is already running; duplicate dropped`);
      return;
    }
    const controller = new AbortController();
    running.set(message.id, controller);
    void serveRequest(message.id, message.method, message.params, controller.signal, send, log).finally(() =>
      running.delete(message.id),
    );
  });

  send({ type: 'ready', pid: process.pid, methods: registeredMethods() });
  return { running };
}

async function serveRequest(
  id: string,
  method: string,
  rawParams: unknown,
  signal: AbortSignal,
  send: (message: EngineToHost) => void,
  log: (level: LogLevel, message: string) => void,
): Promise<void> {
  const ctx: HandlerContext = {
    requestId: id,
    signal,
    emit: (event, data) => {
      if (!signal.aborted) send({ type: 'event', id, event, data });
    },
    log,
  };
  try {
    const handler = getHandler(method);
    if (!handler) {
      throw new EngineError(
        EngineErrorCode.unknownMethod,
        `The engine has no method '${method}'. Known methods: ${registeredMethods().join(', ')}.`,
      );
    }
    const parsed = handler.spec.params.safeParse(rawParams);
    if (!parsed.success) {
      throw new EngineError(EngineErrorCode.badParams, `Invalid params for '${method}': ${describeIssues(parsed.error)}`);
    }
    const result = await handler.handle(parsed.data, ctx);
    send({ type: 'response', id, ok: true, result });
  } catch (error) {
    send({ type: 'response', id, ok: false, error: toErrorInfo(error, signal) });
  }
}

function toErrorInfo(error: unknown, signal: AbortSignal): { code: string; message: string } {
  if (error instanceof EngineError) return { code: error.code, message: error.message };
  if (signal.aborted) return { code: EngineErrorCode.cancelled, message: 'Cancelled.' };
  const message = error instanceof Error ? error.message : String(error);
  return { code: EngineErrorCode.handlerFailed, message };
}

function safePreview(raw: unknown): string {
  try {
    return JSON.stringify(raw).slice(0, 200);
  } catch {
    return String(raw).slice(0, 200);
  }
}

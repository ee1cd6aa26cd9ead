/**
 * Cooperative scheduling for engine handlers.
 *
 * The engine has one JS thread. A cancel message can only be handled when that thread returns to the event loop,
 * so every handler that does long synchronous work (an ORT session.run per token, a conversion chunk, a training step)
 * must `await yieldToEventLoop()` between units of work and check `signal` (throwIfCancelled) after it.
 */
import { EngineError, EngineErrorCode } from './protocol';

export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export function cancelledError(): EngineError {
  return new EngineError(EngineErrorCode.cancelled, 'Cancelled.');
}

export function throwIfCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw cancelledError();
}

/** Waits `ms` without blocking the event loop; rejects with a 'cancelled' EngineError as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(cancelledError());
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelledError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

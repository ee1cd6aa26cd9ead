/**
 * What main does with one `distillery:call`: sender check, method check, then the services' dispatch (which validates
 * the payload against the contract). Always answers with a CallReply, never throws. No Electron imports: unit-tested.
 */
import { isApiMethod, type ApiMethod } from '../contract/api';
import type { CallReply } from '../preload/ipc-protocol';

export type Dispatch = (method: ApiMethod, input: unknown) => Promise<unknown>;

export interface CallSender {
  /** The URL of the frame that sent the call (null when the frame is gone). */
  url: string | null;
  isMainFrame: boolean;
}

export function errorToReply(error: unknown): CallReply {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return {
    ok: false,
    error: {
      code: typeof code === 'string' ? code : 'internal',
      message: typeof message === 'string' && message ? message : 'Something went wrong in the app; see its log.',
    },
  };
}

export async function handleCall(
  dispatch: Dispatch,
  isTrustedUrl: (url: string) => boolean,
  sender: CallSender,
  method: unknown,
  input: unknown,
): Promise<CallReply> {
  if (!sender.isMainFrame || sender.url === null || !isTrustedUrl(sender.url)) {
    return { ok: false, error: { code: 'forbidden', message: 'Only the app’s own window may call the API.' } };
  }
  if (!isApiMethod(method)) {
    return { ok: false, error: { code: 'unknown_method', message: `Unknown API method: ${String(method).slice(0, 100)}` } };
  }
  try {
    return { ok: true, result: await dispatch(method, input) };
  } catch (error) {
    return errorToReply(error);
  }
}

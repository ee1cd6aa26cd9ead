/**
 * What main does with one `distillery:call`: sender check, method check, then the services' dispatch (which validates
 * the payload against the contract). Always answers with a CallReply, never throws. No Electron imports: unit-tested.
 */
import { isApiMethod, type ApiMethod } from '../contract/api';
import { PickPathInput, type PickPathResult } from '../contract/files';
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

const untrusted = (sender: CallSender, isTrustedUrl: (url: string) => boolean) =>
  !sender.isMainFrame || sender.url === null || !isTrustedUrl(sender.url);

/** One `distillery:pick-path`: the same sender check as a call, the input checked, then the native dialog. */
export async function handlePickPath(
  show: (input: PickPathInput) => Promise<PickPathResult>,
  isTrustedUrl: (url: string) => boolean,
  sender: CallSender,
  input: unknown,
): Promise<CallReply> {
  if (untrusted(sender, isTrustedUrl)) {
    return { ok: false, error: { code: 'forbidden', message: 'Only the app’s own window may open a file dialog.' } };
  }
  const request = PickPathInput.safeParse(input);
  if (!request.success) return { ok: false, error: { code: 'bad_request', message: `Invalid pickPath input: ${request.error.message}` } };
  try {
    return { ok: true, result: await show(request.data) };
  } catch (error) {
    return errorToReply(error);
  }
}

export async function handleCall(
  dispatch: Dispatch,
  isTrustedUrl: (url: string) => boolean,
  sender: CallSender,
  method: unknown,
  input: unknown,
): Promise<CallReply> {
  if (untrusted(sender, isTrustedUrl)) {
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

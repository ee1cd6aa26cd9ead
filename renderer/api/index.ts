import { createHttpTransport } from './httpTransport';
import { createIpcTransport } from './ipcTransport';
import { takeToken } from './token';
import type { RendererTransport } from './transport';

export type Connect = { ok: true; transport: RendererTransport } | { ok: false; reason: 'missing_token' };

/** Electron gives us `window.distillery`; a browser needs the headless server's token from its URL. */
export function connect(win: Window = window): Connect {
  if (win.distillery) return { ok: true, transport: createIpcTransport(win.distillery) };
  const token = takeToken(win);
  if (!token) return { ok: false, reason: 'missing_token' };
  return { ok: true, transport: createHttpTransport({ baseUrl: win.location.origin, token }) };
}

export { ApiError, errorMessage, toApiError } from './errors';
export type { ConnectionState, RendererTransport } from './transport';

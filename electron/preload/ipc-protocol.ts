/**
 * The two IPC channels between preload and main, and the reply envelope. Errors travel as data because
 * ipcMain.handle rejections and contextBridge both drop everything but an Error's message.
 * Imported by electron/main and electron/preload; no Electron or Node imports here.
 */
export const CALL_CHANNEL = 'distillery:call';
export const EVENT_CHANNEL = 'distillery:event';
/** The native open dialog (PickPathInput in, PickPathResult out). */
export const PICK_PATH_CHANNEL = 'distillery:pick-path';

export type CallReply = { ok: true; result: unknown } | { ok: false; error: { code: string; message: string } };

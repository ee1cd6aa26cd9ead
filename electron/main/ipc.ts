/** Wires the API into Electron's IPC: one request channel in, one event channel out, both to the app window only. */
import { dialog, ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import type { EventName } from '../contract/api';
import type { PickPathInput, PickPathResult } from '../contract/files';
import { CALL_CHANNEL, EVENT_CHANNEL, PICK_PATH_CHANNEL } from '../preload/ipc-protocol';
import type { Services } from '../services';
import { handleCall, handlePickPath, type CallSender } from './ipc-handler';
import { isAppUrl, type AppLocation } from './security';

export function registerApiIpc(services: Services, app: AppLocation, currentWindow: () => BrowserWindow | null): () => void {
  const isTrusted = (url: string) => isAppUrl(url, app);
  const senderOf = (event: IpcMainInvokeEvent): CallSender => {
    const window = currentWindow();
    const frame = event.senderFrame;
    const fromAppWindow = window !== null && !window.isDestroyed() && event.sender === window.webContents;
    return { url: fromAppWindow && frame ? frame.url : null, isMainFrame: frame !== null && frame === event.sender.mainFrame };
  };
  ipcMain.handle(CALL_CHANNEL, (event: IpcMainInvokeEvent, method: unknown, input: unknown) =>
    handleCall((m, i) => services.dispatch(m, i), isTrusted, senderOf(event), method, input),
  );
  ipcMain.handle(PICK_PATH_CHANNEL, (event: IpcMainInvokeEvent, input: unknown) =>
    handlePickPath((request) => showPickDialog(currentWindow(), request), isTrusted, senderOf(event), input),
  );

  const stopForwarding = services.events.onAny((name: EventName, payload: unknown) => {
    const window = currentWindow();
    if (window && !window.isDestroyed()) window.webContents.send(EVENT_CHANNEL, name, payload);
  });

  return () => {
    ipcMain.removeHandler(CALL_CHANNEL);
    ipcMain.removeHandler(PICK_PATH_CHANNEL);
    stopForwarding();
  };
}

/** The native open dialog, attached to the app window. */
async function showPickDialog(window: BrowserWindow | null, request: PickPathInput): Promise<PickPathResult> {
  const options: Electron.OpenDialogOptions = {
    title: request.title,
    defaultPath: request.defaultPath,
    properties: [request.kind === 'folder' ? 'openDirectory' : 'openFile', 'dontAddToRecent'],
  };
  const result = window && !window.isDestroyed() ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options);
  return { path: result.canceled ? null : (result.filePaths[0] ?? null) };
}

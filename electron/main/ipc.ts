/** Wires the API into Electron's IPC: one request channel in, one event channel out, both to the app window only. */
import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import type { EventName } from '../contract/api';
import { CALL_CHANNEL, EVENT_CHANNEL } from '../preload/ipc-protocol';
import type { Services } from '../services';
import { handleCall } from './ipc-handler';
import { isAppUrl, type AppLocation } from './security';

export function registerApiIpc(services: Services, app: AppLocation, currentWindow: () => BrowserWindow | null): () => void {
  const isTrusted = (url: string) => isAppUrl(url, app);
  ipcMain.handle(CALL_CHANNEL, (event: IpcMainInvokeEvent, method: unknown, input: unknown) => {
    const window = currentWindow();
    const frame = event.senderFrame;
    const fromAppWindow = window !== null && !window.isDestroyed() && event.sender === window.webContents;
    return handleCall((m, i) => services.dispatch(m, i), isTrusted, {
      url: fromAppWindow && frame ? frame.url : null,
      isMainFrame: frame !== null && frame === event.sender.mainFrame,
    }, method, input);
  });

  const stopForwarding = services.events.onAny((name: EventName, payload: unknown) => {
    const window = currentWindow();
    if (window && !window.isDestroyed()) window.webContents.send(EVENT_CHANNEL, name, payload);
  });

  return () => {
    ipcMain.removeHandler(CALL_CHANNEL);
    stopForwarding();
  };
}

import { describe, expect, it, vi } from 'vitest';
import { ServiceEvents, type Services } from '../services';
import { CALL_CHANNEL, EVENT_CHANNEL } from '../preload/ipc-protocol';

type Handler = (event: unknown, ...args: unknown[]) => Promise<unknown>;
const handlers = new Map<string, Handler>();
vi.mock('electron', () => ({
  ipcMain: {
    handle: (channel: string, handler: Handler) => handlers.set(channel, handler),
    removeHandler: (channel: string) => handlers.delete(channel),
  },
}));

const { registerApiIpc } = await import('./ipc');

const rendererFile = '/opt/distillery/out/renderer/index.html';
const appUrl = 'app://distillery/index.html';

function fakeWindow() {
  const sent: unknown[][] = [];
  const mainFrame = { url: appUrl };
  const webContents = { mainFrame, send: (...args: unknown[]) => sent.push(args) };
  return { window: { webContents, isDestroyed: () => false }, mainFrame, sent };
}

function setup() {
  const events = new ServiceEvents(() => undefined);
  const dispatch = vi.fn(async (method: string) => ({ method }));
  const services = { dispatch, events } as unknown as Services;
  const { window, mainFrame, sent } = fakeWindow();
  const dispose = registerApiIpc(services, { rendererFile }, () => window as never);
  return { dispatch, events, window, mainFrame, sent, dispose, call: handlers.get(CALL_CHANNEL)! };
}

describe('registerApiIpc', () => {
  it('answers the app window’s main frame', async () => {
    const { call, window, mainFrame, dispatch, dispose } = setup();
    await expect(call({ sender: window.webContents, senderFrame: mainFrame }, 'app.info', {})).resolves.toEqual({
      ok: true,
      result: { method: 'app.info' },
    });
    expect(dispatch).toHaveBeenCalledWith('app.info', {});
    dispose();
    expect(handlers.has(CALL_CHANNEL)).toBe(false);
  });

  it('refuses other web contents, sub-frames and foreign pages', async () => {
    const { call, window, mainFrame, dispatch, dispose } = setup();
    const other = fakeWindow().window.webContents;
    const subFrame = { url: appUrl };
    for (const event of [
      { sender: other, senderFrame: other.mainFrame },
      { sender: window.webContents, senderFrame: subFrame },
      { sender: window.webContents, senderFrame: null },
    ]) {
      await expect(call(event, 'app.info', {})).resolves.toMatchObject({ ok: false, error: { code: 'forbidden' } });
    }
    mainFrame.url = 'https://evil.example/';
    await expect(call({ sender: window.webContents, senderFrame: mainFrame }, 'app.info', {})).resolves.toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
    expect(dispatch).not.toHaveBeenCalled();
    dispose();
  });

  it('forwards service events to the window until disposed', () => {
    const { events, sent, dispose } = setup();
    const status = { state: 'ready' as const, restarts: 0, since: 1 };
    events.emit('engine.status', status);
    dispose();
    events.emit('engine.status', status);
    expect(sent).toEqual([[EVENT_CHANNEL, 'engine.status', status]]);
  });
});

import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { DistilleryApi } from '../contract/api';
import { CALL_CHANNEL, EVENT_CHANNEL, PICK_PATH_CHANNEL } from './ipc-protocol';

// The preload runs in Electron's sandbox; here Electron's two objects are stand-ins that record what it does.
const exposed = new Map<string, unknown>();
const rendererListeners = new Map<string, (event: unknown, ...args: unknown[]) => void>();
const invoke = vi.fn();

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, value: unknown) => exposed.set(key, value) },
  ipcRenderer: {
    invoke: (...args: unknown[]) => invoke(...args),
    on: (channel: string, listener: (event: unknown, ...args: unknown[]) => void) => rendererListeners.set(channel, listener),
  },
}));

async function loadBridge(): Promise<DistilleryApi> {
  vi.resetModules();
  exposed.clear();
  rendererListeners.clear();
  await import('./index');
  return exposed.get('distillery') as DistilleryApi;
}

describe('preload bridge', () => {
  beforeEach(() => invoke.mockReset());

  it('exposes exactly window.distillery with call, on and pickPath', async () => {
    const bridge = await loadBridge();
    expect([...exposed.keys()]).toEqual(['distillery']);
    expect(Object.keys(bridge).sort()).toEqual(['call', 'on', 'pickPath']);
  });

  it('asks main for the native dialog with a checked request, and checks the reply', async () => {
    const bridge = await loadBridge();
    invoke.mockResolvedValue({ ok: true, result: { path: '/home/me/models/qwen' } });
    await expect(bridge.pickPath!({ kind: 'folder', title: 'Model folder' })).resolves.toEqual({ path: '/home/me/models/qwen' });
    expect(invoke).toHaveBeenCalledWith(PICK_PATH_CHANNEL, { kind: 'folder', title: 'Model folder' });
    await expect(bridge.pickPath!({ kind: 'disk' } as never)).rejects.toMatchObject({ code: 'bad_request' });
    invoke.mockResolvedValue({ ok: false, error: { code: 'forbidden', message: 'no' } });
    await expect(bridge.pickPath!({ kind: 'file' })).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('sends known methods over the call channel and unwraps the reply', async () => {
    const bridge = await loadBridge();
    invoke.mockResolvedValue({ ok: true, result: { version: '0.1.0' } });
    await expect(bridge.call('app.info', {})).resolves.toEqual({ version: '0.1.0' });
    expect(invoke).toHaveBeenCalledWith(CALL_CHANNEL, 'app.info', {});
  });

  it('rejects with a plain {code, message} (what contextBridge copies intact)', async () => {
    const bridge = await loadBridge();
    invoke.mockResolvedValue({ ok: false, error: { code: 'bad_request', message: 'Invalid input' } });
    const failure = await bridge.call('jobs.cancel', { jobId: '' }).catch((reason: unknown) => reason);
    expect(failure).toEqual({ code: 'bad_request', message: 'Invalid input' });
    expect(failure).not.toBeInstanceOf(Error);
  });

  it('refuses unknown methods and events without touching IPC', async () => {
    const bridge = await loadBridge();
    await expect(bridge.call('shell.exec' as never, {} as never)).rejects.toMatchObject({ code: 'unknown_method' });
    expect(invoke).not.toHaveBeenCalled();
    expect(() => bridge.on('secret.event' as never, () => undefined)).toThrow();
  });

  it('delivers contract events to their listeners until unsubscribed, and ignores other names', async () => {
    const bridge = await loadBridge();
    const seen: unknown[] = [];
    const unsubscribe = bridge.on('engine.status', (status) => seen.push(status));
    const fire = rendererListeners.get(EVENT_CHANNEL)!;
    fire({}, 'engine.status', { state: 'ready' });
    fire({}, 'job.update', { id: 'x' });
    fire({}, 'not.an.event', {});
    unsubscribe();
    fire({}, 'engine.status', { state: 'crashed' });
    expect(seen).toEqual([{ state: 'ready' }]);
  });
});

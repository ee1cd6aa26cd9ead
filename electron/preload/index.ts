/**
 * The sandboxed preload: exposes exactly `window.distillery = { call, on }` and nothing else (no ipcRenderer).
 * Method and event names are checked against the contract here; main checks them again with the payload.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { isApiMethod, isEventName, type DistilleryApi, type EventName } from '../contract/api';
import { PickPathInput, PickPathResult } from '../contract/files';
import { CALL_CHANNEL, EVENT_CHANNEL, PICK_PATH_CHANNEL, type CallReply } from './ipc-protocol';

type Listener = (payload: unknown) => void;
const listeners = new Map<EventName, Set<Listener>>();

ipcRenderer.on(EVENT_CHANNEL, (_event, name: unknown, payload: unknown) => {
  if (!isEventName(name)) return;
  for (const listener of [...(listeners.get(name) ?? [])]) {
    try {
      listener(payload);
    } catch (error) {
      console.error(`A ${name} listener threw`, error);
    }
  }
});

/** A rejection the renderer can read: contextBridge copies plain objects intact, but strips Error subclasses. */
function failure(code: string, message: string): { code: string; message: string } {
  return { code, message };
}

const bridge: DistilleryApi = {
  async call(method, input) {
    if (!isApiMethod(method)) throw failure('unknown_method', `Unknown API method: ${String(method)}`);
    const reply = (await ipcRenderer.invoke(CALL_CHANNEL, method, input)) as CallReply;
    if (reply.ok) return reply.result as never;
    throw failure(reply.error.code, reply.error.message);
  },
  on(event, listener) {
    if (!isEventName(event)) throw failure('unknown_event', `Unknown event: ${String(event)}`);
    if (typeof listener !== 'function') throw failure('bad_request', 'on() needs a listener function');
    let set = listeners.get(event);
    if (!set) listeners.set(event, (set = new Set()));
    const entry = listener as Listener;
    set.add(entry);
    return () => {
      set.delete(entry);
    };
  },
  async pickPath(input) {
    const request = PickPathInput.safeParse(input);
    if (!request.success) throw failure('bad_request', `Invalid pickPath input: ${request.error.message}`);
    const reply = (await ipcRenderer.invoke(PICK_PATH_CHANNEL, request.data)) as CallReply;
    if (!reply.ok) throw failure(reply.error.code, reply.error.message);
    return PickPathResult.parse(reply.result);
  },
};

contextBridge.exposeInMainWorld('distillery', bridge);

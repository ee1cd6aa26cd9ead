import type { DistilleryApi } from '../../electron/contract/api';

/** Whether the renderer can reach the services right now. `unauthorized`: the headless token is missing or stale. */
export type ConnectionState = 'connecting' | 'connected' | 'disconnected' | 'unauthorized';

/** The contract's API plus what the UI needs to know about the link itself. */
export interface RendererTransport extends DistilleryApi {
  readonly kind: 'ipc' | 'http';
  connection(): ConnectionState;
  onConnection(listener: (state: ConnectionState) => void): () => void;
}

/** A tiny observable value: transports use it for their connection state. */
export function createConnectionCell(initial: ConnectionState) {
  let state = initial;
  const listeners = new Set<(state: ConnectionState) => void>();
  return {
    get: () => state,
    set(next: ConnectionState) {
      if (next === state) return;
      state = next;
      for (const listener of [...listeners]) listener(state);
    },
    subscribe(listener: (state: ConnectionState) => void) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}

/**
 * The engine's link to its host, the same whether it runs as an Electron utilityProcess (process.parentPort) or as a
 * child_process.fork child (process.send). Only this file knows the difference.
 */
export interface ParentPort {
  postMessage(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Called when the host goes away (fork: IPC channel closed). The engine then exits. */
  onDisconnect(listener: () => void): void;
}

interface ElectronParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
}

export function detectParentPort(): ParentPort {
  const electronPort = (process as unknown as { parentPort?: ElectronParentPort }).parentPort;
  if (electronPort) {
    return {
      postMessage: (message) => electronPort.postMessage(message),
      onMessage: (listener) => electronPort.on('message', (event) => listener(event.data)),
      // A utilityProcess is killed with its parent; nothing to watch.
      onDisconnect: () => undefined,
    };
  }
  if (typeof process.send === 'function') {
    return {
      postMessage: (message) => {
        if (process.connected) process.send!(message);
      },
      onMessage: (listener) => process.on('message', listener),
      onDisconnect: (listener) => process.on('disconnect', listener),
    };
  }
  throw new Error(
    'The engine must be started by Distillery (Electron utilityProcess or child_process.fork with an IPC channel); ' +
      'run `distillery serve` or the desktop app instead of starting electron/engine/main.ts directly.',
  );
}

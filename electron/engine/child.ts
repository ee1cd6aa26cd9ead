/**
 * The host's view of an engine process, whatever started it. The Node implementation (child_process.fork) lives in
 * ./spawn-node; the Electron main wraps utilityProcess.fork in the same interface.
 */
import type { HostToEngine } from './protocol';

export interface EngineExit {
  code: number | null;
  signal: string | null;
  /** Set when the process failed to start or its IPC channel failed. */
  error?: string;
}

export interface EngineChild {
  readonly pid: number | undefined;
  postMessage(message: HostToEngine): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Called exactly once, when the process has gone (exit, signal or failure to start). */
  onExit(listener: (exit: EngineExit) => void): void;
  /** What the process prints (stdout and stderr): the host keeps the last lines for its crash report. */
  onOutput?(listener: (text: string) => void): void;
  kill(signal?: NodeJS.Signals): void;
}

export type SpawnEngine = () => EngineChild;

/**
 * The exit bookkeeping every EngineChild needs: `finish` records the first exit only and tells every listener;
 * `onExit` called after the exit still hears about it (the host may subscribe late).
 */
export function exitLatch(): { finish(exit: EngineExit): void; onExit(listener: (exit: EngineExit) => void): void; exited(): boolean } {
  const listeners: ((exit: EngineExit) => void)[] = [];
  let exited: EngineExit | undefined;
  return {
    finish(exit) {
      if (exited) return;
      exited = exit;
      for (const listener of listeners) listener(exit);
    },
    onExit(listener) {
      if (exited) listener(exited);
      else listeners.push(listener);
    },
    exited: () => exited !== undefined,
  };
}

export function describeExit(exit: EngineExit): string {
  if (exit.error) return exit.error;
  if (exit.signal) return `signal ${exit.signal}`;
  return `exit code ${exit.code ?? 'unknown'}`;
}

/**
 * The EngineChild (electron/engine/child.ts) on Electron's utilityProcess: the engine (out/main/engine.js) runs as a Node service process
 * that dies with the app. utilityProcess reports only an exit code, and its kill() only sends SIGTERM, so SIGKILL
 * goes through process.kill with the pid.
 */
import { utilityProcess } from 'electron';
import { exitLatch, type EngineChild, type SpawnEngine } from '../engine';

export interface UtilitySpawnOptions {
  entry: string;
  env?: NodeJS.ProcessEnv;
  onOutput?: (text: string) => void;
}

export function utilityEngineSpawner(options: UtilitySpawnOptions): SpawnEngine {
  return () => forkUtilityEngine(options);
}

function forkUtilityEngine(options: UtilitySpawnOptions): EngineChild {
  const child = utilityProcess.fork(options.entry, [], {
    serviceName: 'Distillery engine',
    stdio: 'pipe',
    env: options.env ?? process.env,
  });
  const print = options.onOutput ?? ((text: string) => process.stderr.write(text));
  const outputListeners: ((text: string) => void)[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on('data', (chunk: Buffer | string) => {
      print(chunk.toString());
      for (const listener of outputListeners) listener(chunk.toString());
    });
  }

  const { finish, onExit, exited } = exitLatch();
  let fatal: string | undefined;
  child.on('error', (type, location) => {
    fatal = `${type} at ${location}`;
  });
  child.once('exit', (code) => {
    finish({ code, signal: null, ...(fatal ? { error: `engine ${fatal} (exit code ${code})` } : {}) });
  });

  return {
    get pid() {
      return child.pid;
    },
    postMessage(message) {
      if (!exited()) child.postMessage(message);
    },
    onMessage(listener) {
      child.on('message', listener);
    },
    onExit,
    onOutput(listener) {
      outputListeners.push(listener);
    },
    kill(signal = 'SIGTERM') {
      if (exited()) return;
      if (signal === 'SIGKILL' && child.pid !== undefined) {
        try {
          process.kill(child.pid, 'SIGKILL');
          return;
        } catch {
          // already gone, or not permitted: fall back to Electron's own kill
        }
      }
      child.kill();
    },
  };
}

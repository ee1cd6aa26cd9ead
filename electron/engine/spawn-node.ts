/** EngineChild on child_process.fork: used by the headless server, the CLI and the tests. */
import { fork } from 'node:child_process';
import type { Readable } from 'node:stream';
import { exitLatch, type EngineChild, type SpawnEngine } from './child';
import { resolveEngineEntry, type EngineEntry } from './entry';

export interface NodeSpawnOptions {
  entry?: EngineEntry;
  env?: NodeJS.ProcessEnv;
  /** Where the engine's stdout/stderr go (native libraries may print). Default: this process's stderr. */
  onOutput?: (text: string) => void;
}

export function nodeEngineSpawner(options: NodeSpawnOptions = {}): SpawnEngine {
  return () => forkEngine(options);
}

export function forkEngine(options: NodeSpawnOptions = {}): EngineChild {
  const { entry, execArgv } = options.entry ?? resolveEngineEntry();
  const print = options.onOutput ?? ((text: string) => process.stderr.write(text));
  const outputListeners: ((text: string) => void)[] = [];
  const onOutput = (text: string) => {
    print(text);
    for (const listener of outputListeners) listener(text);
  };
  const child = fork(entry, [], {
    execArgv,
    env: options.env ?? process.env,
    // 'advanced' = structured clone, like Electron's utilityProcess: typed arrays cross intact.
    serialization: 'advanced',
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  forward(child.stdout, onOutput);
  forward(child.stderr, onOutput);

  const { finish, onExit, exited } = exitLatch();
  child.once('exit', (code, signal) => finish({ code, signal }));
  child.on('error', (error) => {
    // 'error' without a pid means the process never started; otherwise an IPC send failed and 'exit' follows.
    if (child.pid === undefined) finish({ code: null, signal: null, error: `failed to start: ${error.message}` });
  });

  return {
    get pid() {
      return child.pid;
    },
    postMessage(message) {
      if (child.connected) child.send(message);
    },
    onMessage(listener) {
      child.on('message', listener);
    },
    onExit,
    onOutput(listener) {
      outputListeners.push(listener);
    },
    kill(signal = 'SIGTERM') {
      if (!exited()) child.kill(signal);
    },
  };
}

function forward(stream: Readable | null, onOutput: (text: string) => void): void {
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => onOutput(chunk));
}

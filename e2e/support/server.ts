/**
 * Starts `node bin/distillery.mjs serve --port 0` in a fresh DISTILLERY_HOME, reads the URL line it prints and stops
 * it (SIGTERM, then SIGKILL) at the end. The e2e suite talks only to this real server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ApiMethod, ApiOutput } from '../../electron/contract/api';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const LISTENING = /^Distillery listening on (http:\/\/127\.0\.0\.1:(\d+)\/\?token=([A-Za-z0-9_-]+))\s*$/m;
const START_TIMEOUT_MS = 60_000;

export interface ServerHandle {
  /** The URL exactly as printed, token included. */
  url: string;
  origin: string;
  port: number;
  token: string;
  home: string;
  process: ChildProcess;
  /** Everything the server wrote to stderr so far (shown when a test fails). */
  logs(): string;
  stop(): Promise<void>;
  /** SIGKILL, as a crash or a force-quit would end it: nothing runs on the way out, the data folder stays. */
  kill(): Promise<void>;
}

/**
 * `env`: extra environment for the server (e.g. HF_ENDPOINT pointing at the hub emulator). `home`: an existing data
 * folder to reuse (a restart); the caller owns it, so stop() leaves it in place. `nodeArgs`: Node options for the
 * server process only (a benchmark's --cpu-prof, which NODE_OPTIONS may not carry).
 */
export async function startServer(options: { env?: NodeJS.ProcessEnv; home?: string; nodeArgs?: string[] } = {}): Promise<ServerHandle> {
  if (!existsSync(path.join(repoRoot, 'out', 'renderer', 'index.html'))) {
    throw new Error('The renderer is not built: run `npm run build` before the e2e suite.');
  }
  const ownsHome = !options.home;
  const home = options.home ?? mkdtempSync(path.join(os.tmpdir(), 'distillery-e2e-'));
  const removeHome = () => ownsHome && rmSync(home, { recursive: true, force: true });
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), path.join(repoRoot, 'bin', 'distillery.mjs'), 'serve', '--port', '0', '--no-open'], {
    cwd: repoRoot,
    env: { ...process.env, ...options.env, DISTILLERY_HOME: home, DISTILLERY_NO_OPEN: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));

  const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve printed no URL within ${START_TIMEOUT_MS} ms.\n${stdout}${stderr}`)), START_TIMEOUT_MS);
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const found = stdout.match(LISTENING);
      if (found) {
        clearTimeout(timer);
        resolve(found);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`serve exited (${signal ?? `code ${code}`}) before printing its URL.\n${stdout}${stderr}`));
    });
  }).catch((error: unknown) => {
    child.kill('SIGKILL');
    removeHome();
    throw error;
  });

  const [, url, port, token] = match;
  return {
    url,
    origin: `http://127.0.0.1:${port}`,
    port: Number(port),
    token,
    home,
    process: child,
    logs: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(force);
      }
      removeHome();
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** One API call to the server as the renderer makes it (Bearer token, JSON body); throws on an error status. */
export async function serverCall<M extends ApiMethod>(server: ServerHandle, method: M, input: unknown = {}): Promise<ApiOutput<M>> {
  const response = await fetch(`${server.origin}/api/call/${method}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(input),
  });
  const body: unknown = await response.json();
  if (!response.ok) throw new Error(`${method} failed with ${response.status}: ${JSON.stringify(body)}`);
  return body as ApiOutput<M>;
}

/**
 * `distillery serve [--port N] [--no-open]`: headless mode. Engine + services + HTTP server on 127.0.0.1, serving the
 * built renderer; prints exactly one line on stdout: `Distillery listening on http://127.0.0.1:PORT/?token=TOKEN`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { defaultStaticDir, startServer } from '../../server';
import { startBackend } from '../backend';
import { CliError, type CliCommand } from '../command';
import { registryFor } from '../../services/models';
import { addThreadsOption } from '../generation-options';
import { numberOption } from '../options';

/** A TCP port; 0 lets the system pick a free one. */
const PORT_RULE = 'must be a whole number from 0 to 65535';
const Port = z.number({ error: PORT_RULE }).int({ error: PORT_RULE }).min(0, { error: PORT_RULE }).max(65_535, { error: PORT_RULE });

export const serveCommand: CliCommand = (program) => {
  const serve = program
    .command('serve')
    .description('Start headless mode: the app and its API on http://127.0.0.1 (always local only), with a token')
    .option('-p, --port <port>', 'port to listen on (0 = a free port)', numberOption('--port', Port), 0)
    .option('--no-open', 'do not open a browser')
    .option('--no-build', 'do not build the interface when it is missing (the page then says how)');
  addThreadsOption(serve, 'CPU threads per model for this server, the OpenAI API included (default: the Settings value)')
    .action(async (options: { port: number; open: boolean; build: boolean; threads?: number }) => {
      const { threads } = options;
      if (options.build) buildInterfaceIfMissing(defaultStaticDir());
      const backend = await startBackend({ transport: 'http', waitForEngine: false });
      if (threads) registryFor(backend.services.context).defaults.threads = threads;
      let server: Awaited<ReturnType<typeof startServer>>;
      try {
        server = await startServer({ services: backend.services, port: options.port });
      } catch (error) {
        await backend.close();
        throw new CliError((error as Error).message);
      }
      keepServingOnStrayErrors((message) => backend.services.context.log('error', message));
      process.stdout.write(`Distillery listening on ${server.openUrl}\n`);
      if (options.open && canOpenBrowser()) openBrowser(server.openUrl);

      await new Promise<void>((resolve) => {
        let stopping = false;
        const shutdown = () => {
          if (stopping) process.exit(1); // second Ctrl+C: do not wait
          stopping = true;
          void server
            .close()
            .then(() => backend.close())
            .finally(() => {
              // Should something still hold the event loop open, do not hang the terminal.
              setTimeout(() => process.exit(process.exitCode ?? 0), 2000).unref();
              resolve();
            });
        };
        process.once('SIGINT', shutdown);
        process.once('SIGTERM', shutdown);
      });
    });
};

/**
 * Last resort: an error that escapes every request's own handling (a stray stream or socket 'error' event) is logged
 * and the server keeps answering, instead of taking the engine and every open chat down with it. Each request still
 * answers 500/404 or drops its own connection where the error belongs (see server.ts and static.ts).
 */
export function keepServingOnStrayErrors(log: (message: string) => void): void {
  const report = (what: string) => (error: unknown) => {
    const message = `serve: ${what} (the server keeps running): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
    log(message);
    process.stderr.write(`${message}\n`);
  };
  process.on('uncaughtException', report('uncaught exception'));
  process.on('unhandledRejection', report('unhandled rejection'));
}

/**
 * A fresh checkout has no built interface yet: build it once (a few seconds) so the printed URL opens the app.
 * Build output goes to stderr, because stdout carries exactly the one URL line that scripts read.
 */
function buildInterfaceIfMissing(staticDir: string): void {
  if (existsSync(path.join(staticDir, 'index.html'))) return;
  const repo = path.resolve(staticDir, '..', '..');
  const bin = path.join(repo, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js');
  if (!existsSync(bin)) return; // an installed package without build tools: the page itself says what to run
  process.stderr.write('Building the interface (first run only)…\n');
  const build = spawnSync(process.execPath, [bin, 'build'], { cwd: repo, stdio: ['ignore', process.stderr, process.stderr] });
  if (build.status !== 0) throw new CliError('Building the interface failed (see above); run `npm run build` to retry.');
}

function canOpenBrowser(): boolean {
  if (process.env.CI || process.env.DISTILLERY_NO_OPEN) return false;
  if (process.platform === 'linux') return !!(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
  return true;
}

function openBrowser(url: string): void {
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url.replace(/&/g, '^&')]]
        : ['xdg-open', [url]];
  try {
    const child = spawn(command, args as string[], { stdio: 'ignore', detached: true });
    child.on('error', () => undefined); // no browser: the printed URL is enough
    child.unref();
  } catch {
    // same
  }
}

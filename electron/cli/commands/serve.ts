/**
 * `distillery serve [--port N] [--no-open]`: headless mode. Engine + services + HTTP server on 127.0.0.1, serving the
 * built renderer; prints exactly one line on stdout: `Distillery listening on http://127.0.0.1:PORT/?token=TOKEN`.
 */
import { spawn } from 'node:child_process';
import { startServer } from '../../server';
import { startBackend } from '../backend';
import { CliError, type CliCommand } from '../command';

export const serveCommand: CliCommand = (program) => {
  program
    .command('serve')
    .description('Start headless mode: the app and its API on http://127.0.0.1 (always local only), with a token')
    .option('-p, --port <port>', 'port to listen on (0 = a free port)', parsePort, 0)
    .option('--no-open', 'do not open a browser')
    .action(async (options: { port: number; open: boolean }) => {
      const backend = await startBackend({ transport: 'http', waitForEngine: false });
      let server: Awaited<ReturnType<typeof startServer>>;
      try {
        server = await startServer({ services: backend.services, port: options.port });
      } catch (error) {
        await backend.close();
        throw new CliError((error as Error).message);
      }
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

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new CliError(`--port must be a whole number from 0 to 65535 (got '${value}').`);
  }
  return port;
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

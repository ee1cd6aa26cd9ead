/**
 * The engine process entry point. It owns every ONNX Runtime session, so that session.run() never blocks the
 * Electron main process or the HTTP server.
 *
 * Started as an Electron utilityProcess (out/main/engine.js, built by electron-vite) or with child_process.fork
 * (headless/CLI: electron/engine/main.ts through tsx). See ./entry.ts.
 */
import './priority'; // before anything starts a thread
import './handlers';
import { startEngineDispatcher } from './dispatcher';
import { detectParentPort } from './parent-port';

const port = detectParentPort();

process.on('uncaughtException', (error) => {
  port.postMessage({ type: 'log', level: 'error', message: `engine: uncaught exception: ${error.stack ?? error}` });
  // State may be corrupt: exit and let the host restart a clean engine.
  setTimeout(() => process.exit(70), 50);
});
process.on('unhandledRejection', (reason) => {
  port.postMessage({ type: 'log', level: 'error', message: `engine: unhandled rejection: ${String(reason)}` });
});
port.onDisconnect(() => process.exit(0));
// A terminal's Ctrl+C reaches the whole process group, the forked engine included. The host decides what Ctrl+C
// means (stop the reply and keep its text, then shut down), and stops the engine itself by cancel, SIGTERM or
// disconnect; dying here would turn a stopped reply into an engine crash.
process.on('SIGINT', () => undefined);

startEngineDispatcher(port);

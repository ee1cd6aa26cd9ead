/**
 * Engine + services for CLI commands, in plain Node (no Electron): the engine is forked from electron/engine/main.ts
 * through tsx. Commands that need models, chats or jobs call startBackend(); `info` only needs the engine.
 */
import { EngineHost } from '../engine/host';
import { nodeEngineSpawner } from '../engine/spawn-node';
import { createServices, resolveDataDir, type Services, type Transport } from '../services';

export interface Backend {
  dataDir: string;
  engine: EngineHost;
  /** The training engine (its own process, started by the first run). */
  trainEngine: EngineHost;
  services: Services;
  /** Stops the engine, finishes jobs' bookkeeping and closes the database. Safe to call twice. */
  close(): Promise<void>;
}

export function createEngineHost(): EngineHost {
  return new EngineHost({ spawn: nodeEngineSpawner() });
}

export interface StartBackendOptions {
  transport?: Transport;
  dataDir?: string;
  /** Resolve only once the engine is ready (default true). `serve` does not wait: the UI shows 'starting'. */
  waitForEngine?: boolean;
}

export async function startBackend(options: StartBackendOptions = {}): Promise<Backend> {
  const dataDir = options.dataDir ?? resolveDataDir();
  const engine = createEngineHost();
  const trainEngine = createEngineHost();
  const services = createServices({ dataDir, engineHost: engine, trainEngineHost: trainEngine, transport: options.transport ?? 'http' });
  const ready = engine.start().catch((error: Error) => {
    // Keep going: the UI shows the engine state and offers a restart; commands' calls get a clear error.
    if (engine.status().state !== 'stopped') process.stderr.write(`Warning: ${error.message}\n`);
  });
  if (options.waitForEngine !== false) await ready;
  let closing: Promise<void> | undefined;
  return {
    dataDir,
    engine,
    trainEngine,
    services,
    close: () =>
      (closing ??= (async () => {
        await Promise.all([engine.stop(), trainEngine.stop()]);
        await services.close();
      })()),
  };
}

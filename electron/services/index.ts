/**
 * The services: one implementation of the API contract, shared by the Electron main (IPC) and the headless server
 * (HTTP). `dispatch` is the single entry point transports use: it validates input and output against the contract.
 */
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { api, isApiMethod, type ApiMethod, type ApiOutput } from '../contract/api';
import type { EngineHost } from '../engine/host';
import { openDatabase, type OpenDatabaseOptions, type Store } from '../store';
import type { Handlers, ServiceContext, ServicePart, Transport } from './context';
import { LOG_FILE_NAME } from './app';
import { ApiError, toApiError } from './errors';
import { ServiceEvents } from './events';
import { generationFor, type Generation } from './generation';
import { serviceModules } from './modules';
import { ensureDataDirs } from './paths';
import { packageVersion } from './version';

export interface CreateServicesOptions {
  dataDir: string;
  engineHost: EngineHost;
  /** A second engine process for training; started when a run needs it. Defaults to engineHost. */
  trainEngineHost?: EngineHost;
  transport: Transport;
  /** Electron main: better_sqlite3.node built for Electron's ABI. */
  nativeBinding?: OpenDatabaseOptions['nativeBinding'];
  /** Defaults to package.json's version. */
  version?: string;
}

export interface Services {
  readonly handlers: Partial<Handlers>;
  readonly events: ServiceEvents;
  readonly store: Store;
  readonly context: ServiceContext;
  /** Generates text with a registered model: what chat, votes, the OpenAI route and `distillery run` build on. */
  readonly generation: Generation;
  /** Validates `rawInput`, runs the method, validates its output. Throws ApiError (code + user-facing message). */
  dispatch(method: string, rawInput: unknown): Promise<unknown>;
  /** Typed call for in-process callers (CLI, tests). */
  call<M extends ApiMethod>(method: M, input: z.input<(typeof api)[M]['input']>): Promise<ApiOutput<M>>;
  /** Finishes running work and closes the database. Stop the engine host yourself (you created it). */
  close(): Promise<void>;
}

export function createServices(options: CreateServicesOptions): Services {
  const paths = ensureDataDirs(options.dataDir);
  const store = openDatabase(paths.db, { nativeBinding: options.nativeBinding });
  const logFile = createWriteStream(path.join(paths.logs, LOG_FILE_NAME), { flags: 'a' });
  // Logging must never take the app down (disk full, closed stream): drop the line instead.
  logFile.on('error', () => undefined);
  const log: ServiceContext['log'] = (level, message) => {
    if (!logFile.writableEnded) logFile.write(`${new Date().toISOString()} ${level} ${message}\n`);
  };
  const unsubscribeLog = options.engineHost.onLog(({ level, message }) => log(level === 'debug' ? 'info' : level, message));
  const events = new ServiceEvents((message) => log('error', message));
  const context: ServiceContext = {
    store,
    engine: options.engineHost,
    trainEngine: options.trainEngineHost ?? options.engineHost,
    events,
    paths,
    transport: options.transport,
    version: options.version ?? packageVersion(),
    log,
  };
  if (store.recovered.jobs || store.recovered.messages) {
    log('warn', `recovered after a crash: ${store.recovered.jobs} job(s), ${store.recovered.messages} message(s) interrupted`);
  }
  const parts: ServicePart[] = serviceModules.map((module) => module(context));
  const handlers: Partial<Handlers> = Object.assign({}, ...parts.map((part) => part.handlers));

  const dispatch = async (method: string, rawInput: unknown): Promise<unknown> => {
    if (!isApiMethod(method)) throw new ApiError('not_found', `There is no API method '${method}'.`);
    const input = api[method].input.safeParse(rawInput ?? {});
    if (!input.success) {
      throw new ApiError('bad_request', `Invalid input for ${method}: ${z.prettifyError(input.error)}`);
    }
    const handler = handlers[method] as ((input: unknown) => Promise<unknown>) | undefined;
    if (!handler) throw new ApiError('not_implemented', `${method} is not implemented yet.`);
    let output: unknown;
    try {
      output = await handler(input.data);
    } catch (error) {
      throw toApiError(error);
    }
    const checked = api[method].output.safeParse(output);
    if (!checked.success) {
      log('error', `${method} returned an invalid result: ${checked.error.message}`);
      throw new ApiError('internal', `${method} produced an invalid result; see logs/distillery.log.`);
    }
    return checked.data;
  };

  let closed = false;
  return {
    handlers,
    events,
    store,
    context,
    generation: generationFor(context),
    dispatch,
    call: (method, input) => dispatch(method, input) as Promise<ApiOutput<typeof method>>,
    async close() {
      if (closed) return;
      closed = true;
      for (const part of parts) await part.dispose?.();
      unsubscribeLog();
      store.close();
      await new Promise<void>((resolve) => logFile.end(resolve));
    },
  };
}

export { ApiError, httpStatusFor, toApiError } from './errors';
export { ServiceEvents } from './events';
export type { Generation, GenerationOutput, GenerationPiece, GenerationRequest, GenerationRun } from './generation';
export { packageVersion } from './version';
export { dataPaths, defaultDataDir, ensureDataDirs, resolveDataDir, type DataPaths } from './paths';
export type { Handlers, ServiceContext, ServiceModule, ServicePart, Transport } from './context';

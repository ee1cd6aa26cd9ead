/** What every service module gets: the store, the engine, the event bus and the data folders. */
import type { z } from 'zod';
import type { api, ApiMethod, ApiOutput } from '../contract/api';
import type { EngineHost } from '../engine/host';
import type { Store } from '../store';
import type { ServiceEvents } from './events';
import type { DataPaths } from './paths';

export type Transport = 'ipc' | 'http';

export interface ServiceContext {
  readonly store: Store;
  readonly engine: EngineHost;
  /** The engine process that trains (its own, so a training step never holds up chat); absent: `engine` trains. */
  readonly trainEngine?: EngineHost;
  readonly events: ServiceEvents;
  readonly paths: DataPaths;
  readonly transport: Transport;
  readonly version: string;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

/** A method's input after its schema parsed it (defaults applied). */
export type ParsedInput<M extends ApiMethod> = z.output<(typeof api)[M]['input']>;

export type Handler<M extends ApiMethod> = (input: ParsedInput<M>) => Promise<ApiOutput<M>>;
export type Handlers = { [M in ApiMethod]: Handler<M> };

/** One concern's slice of the API (app, engine, jobs, models, chat, ...). */
export interface ServicePart {
  handlers: Partial<Handlers>;
  /** Finish or abandon work before the store closes. */
  dispose?(): Promise<void> | void;
}

export type ServiceModule = (ctx: ServiceContext) => ServicePart;

/**
 * `create(ctx)` made once per services instance and shared by every module that asks for it (the job runner, the
 * model registry, a repository): module state keyed by the instance, so two instances (tests, a CLI) never share it.
 */
export function perServices<T>(create: (ctx: ServiceContext) => T): (ctx: ServiceContext) => T {
  const made = new WeakMap<ServiceContext, T>();
  return (ctx) => {
    if (!made.has(ctx)) made.set(ctx, create(ctx));
    return made.get(ctx) as T;
  };
}

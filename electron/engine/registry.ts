/**
 * The engine's handler registry: method name → its spec in the engine contract (electron/contract/engine.ts) and an
 * async handler typed by it. Handlers register themselves when their module is imported;
 * electron/engine/handlers/index.ts imports them all, so adding a handler is a table entry and one import line there.
 */
import {
  engineMethods,
  type EngineEventInput,
  type EngineEventName,
  type EngineMethod,
  type EngineMethodSpec,
  type EngineParams,
  type EngineResultInput,
} from '../contract/engine';
import type { LogLevel } from './protocol';

export interface HandlerContext<S extends EngineMethodSpec = EngineMethodSpec> {
  /** Id of the request being served (unique per engine lifetime). */
  readonly requestId: string;
  /** Stream an event of this request to the host (progress, tokens, ...): one the method's spec declares. */
  emit<K extends EngineEventName<S>>(event: K, data: EngineEventInput<S, K>): void;
  /** Aborted when the host cancels the request. Long work must check it and yield (see ./yield). */
  readonly signal: AbortSignal;
  log(level: LogLevel, message: string): void;
}

export type Handler<S extends EngineMethodSpec> = (params: EngineParams<S>, ctx: HandlerContext<S>) => Promise<EngineResultInput<S>>;

export interface RegisteredMethod {
  /** Its params are validated against `spec.params` before `handle` runs; invalid ones are answered 'bad_request'. */
  spec: EngineMethodSpec;
  handle(params: unknown, ctx: HandlerContext): Promise<unknown>;
}

const handlers = new Map<string, RegisteredMethod>();

/** Registers the handler of a method of the engine contract. */
export function registerHandler<M extends EngineMethod>(method: M, handle: Handler<(typeof engineMethods)[M]>): void {
  registerMethod(method, engineMethods[method], handle);
}

/** Registers a method with its own spec: for methods outside the product's table (tests of the plumbing). */
export function registerMethod<S extends EngineMethodSpec>(method: string, spec: S, handle: Handler<S>): void {
  if (handlers.has(method)) {
    throw new Error(`Engine handler '${method}' is registered twice: each method needs a unique name.`);
  }
  // The dispatcher hands over params parsed by `spec.params` and a context that emits any event name: the types
  // above are what holds a handler to its spec.
  handlers.set(method, { spec, handle: handle as RegisteredMethod['handle'] });
}

export function getHandler(method: string): RegisteredMethod | undefined {
  return handlers.get(method);
}

export function registeredMethods(): string[] {
  return [...handlers.keys()].sort();
}

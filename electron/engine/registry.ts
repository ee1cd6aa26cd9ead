/**
 * The engine's handler registry: method name → async handler.
 * Handlers register themselves when their module is imported; electron/engine/handlers/index.ts imports them all,
 * so adding a handler is one import line there.
 */
import type { z } from 'zod';
import type { LogLevel } from './protocol';

export interface HandlerContext {
  /** Id of the request being served (unique per engine lifetime). */
  readonly requestId: string;
  /** Stream an event of this request to the host (progress, tokens, ...). */
  emit(event: string, data: unknown): void;
  /** Aborted when the host cancels the request. Long work must check it and yield (see ./yield). */
  readonly signal: AbortSignal;
  log(level: LogLevel, message: string): void;
}

export interface HandlerDefinition<P = unknown, R = unknown> {
  method: string;
  /** Validates params before `handle` runs; invalid params are answered with code 'bad_request'. */
  params?: z.ZodType<P>;
  handle(params: P, ctx: HandlerContext): Promise<R>;
}

const handlers = new Map<string, HandlerDefinition>();

export function registerHandler<P, R>(definition: HandlerDefinition<P, R>): HandlerDefinition<P, R> {
  if (handlers.has(definition.method)) {
    throw new Error(`Engine handler '${definition.method}' is registered twice: each method needs a unique name.`);
  }
  handlers.set(definition.method, definition as HandlerDefinition);
  return definition;
}

export function getHandler(method: string): HandlerDefinition | undefined {
  return handlers.get(method);
}

export function registeredMethods(): string[] {
  return [...handlers.keys()].sort();
}

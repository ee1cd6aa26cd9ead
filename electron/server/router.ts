/**
 * The server's route table. Routes are matched by method and a path pattern with `:name` segments.
 * Every route under /api/ or /v1/ is reached only with a valid token (checked before routing, in ./server).
 * To add routes (e.g. the OpenAI-compatible /v1/*): export a Route[] and add it to routeModules in ./route-table.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Services } from '../services';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** Values of the pattern's `:name` segments, URL-decoded. */
  params: Record<string, string>;
  services: Services;
  /** JSON body, at most 1 MB (bigger → 413), empty → undefined, malformed → 400. */
  readJson(): Promise<unknown>;
  sendJson(status: number, body: unknown): void;
  sendError(status: number, code: string, message: string): void;
  /** Register cleanup for when the server closes (long-lived responses such as SSE); the server waits for a returned promise, briefly. */
  onServerClose(cleanup: () => void | Promise<void>): () => void;
}

export interface Route {
  method: HttpMethod;
  /** e.g. '/api/call/:method' or '/v1/chat/completions'. */
  path: string;
  handle(ctx: RouteContext): Promise<void> | void;
}

interface CompiledRoute {
  route: Route;
  pattern: RegExp;
  names: string[];
}

export class Router {
  private readonly routes: CompiledRoute[] = [];

  add(...routes: Route[]): this {
    for (const route of routes) this.routes.push(compile(route));
    return this;
  }

  /** The route for method+path, or 'method_not_allowed' when only the path matches, or undefined. */
  match(method: string, pathname: string): { route: Route; params: Record<string, string> } | 'method_not_allowed' | undefined {
    let pathMatched = false;
    for (const { route, pattern, names } of this.routes) {
      const found = pattern.exec(pathname);
      if (!found) continue;
      pathMatched = true;
      if (route.method !== method) continue;
      const params: Record<string, string> = {};
      names.forEach((name, i) => (params[name] = safeDecode(found[i + 1]!)));
      return { route, params };
    }
    return pathMatched ? 'method_not_allowed' : undefined;
  }
}

function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  const source = route.path
    .split('/')
    .map((segment) => {
      if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(segment.slice(1));
      return '([^/]+)';
    })
    .join('/');
  return { route, pattern: new RegExp(`^${source}$`), names };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

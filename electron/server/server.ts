/**
 * The headless server: the services over HTTP on 127.0.0.1 only, plus the built renderer.
 * Every request: Host must be this server (DNS rebinding), a present Origin must be this server (CSRF);
 * /api/* and /v1/* also need this start's token (Bearer header or ?token=).
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Services } from '../services';
import { hostAllowed, newToken, originAllowed, requestToken, tokenMatches } from './auth';
import { HttpError, readJsonBody, SECURITY_HEADERS, sendError, sendJson } from './http';
import { routeModules } from './route-table';
import { Router, type Route, type RouteContext } from './router';
import { serveStatic } from './static';

export const LISTEN_HOST = '127.0.0.1';

export interface StartServerOptions {
  services: Services;
  /** 0 (default) picks a free port. */
  port?: number;
  /** The built renderer; default <repo>/out/renderer. */
  staticDir?: string;
  /** Default: 32 random bytes, base64url, new on every start. */
  token?: string;
  heartbeatMs?: number;
  /** Routes added after the route table's (tests, embedding). */
  routes?: Route[];
}

export interface RunningServer {
  url: string;
  /** The URL to open in a browser: `${url}/?token=TOKEN`. */
  openUrl: string;
  port: number;
  token: string;
  server: http.Server;
  close(): Promise<void>;
}

export function defaultStaticDir(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'out', 'renderer');
}

export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const token = options.token ?? newToken();
  const staticDir = options.staticDir ?? defaultStaticDir();
  const router = new Router();
  for (const module of routeModules) router.add(...module({ heartbeatMs: options.heartbeatMs }));
  router.add(...(options.routes ?? []));
  const closeHooks = new Set<() => void>();
  let port = 0;

  const server = http.createServer((req, res) => {
    handleRequest(req, res).catch((error: unknown) => {
      if (error instanceof HttpError) {
        if (error.status === 413) res.setHeader('Connection', 'close');
        return sendError(res, error.status, error.code, error.message);
      }
      options.services.context.log('error', `server: ${(error as Error).stack ?? error}`);
      sendError(res, 500, 'internal', 'The server failed to answer this request; see logs/distillery.log.');
    });
  });

  async function handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    const url = parseUrl(req.url);
    if (!url) return sendError(res, 400, 'bad_request', 'Malformed request URL.');
    if (!hostAllowed(req.headers.host, port)) {
      return sendError(res, 403, 'forbidden', `Host must be 127.0.0.1:${port} or localhost:${port}.`);
    }
    if (!originAllowed(req.headers.origin, port)) {
      return sendError(res, 403, 'forbidden', 'Requests from other origins are not allowed.');
    }
    const method = req.method ?? 'GET';
    if (isProtected(url.pathname) && !tokenMatches(requestToken(req, url), token)) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      return sendError(res, 401, 'unauthorized', 'Missing or wrong token: open the URL that `distillery serve` printed.');
    }
    const match = router.match(method, url.pathname);
    if (match === 'method_not_allowed') return sendError(res, 405, 'method_not_allowed', `${method} is not allowed here.`);
    if (match) return match.route.handle(routeContext(req, res, url, match.params));
    if (isProtected(url.pathname)) return sendError(res, 404, 'not_found', `No such endpoint: ${url.pathname}`);
    if (method !== 'GET' && method !== 'HEAD') return sendError(res, 405, 'method_not_allowed', `${method} is not allowed here.`);
    return serveStatic(res, staticDir, url.pathname, method === 'HEAD');
  }

  function routeContext(req: IncomingMessage, res: ServerResponse, url: URL, params: Record<string, string>): RouteContext {
    return {
      req,
      res,
      url,
      params,
      services: options.services,
      readJson: () => readJsonBody(req),
      sendJson: (status, body) => sendJson(res, status, body),
      sendError: (status, code, message) => sendError(res, status, code, message),
      onServerClose: (cleanup) => {
        closeHooks.add(cleanup);
        return () => closeHooks.delete(cleanup);
      },
    };
  }

  port = await listen(server, options.port ?? 0);
  const url = `http://${LISTEN_HOST}:${port}`;
  return {
    url,
    openUrl: `${url}/?token=${token}`,
    port,
    token,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        for (const hook of [...closeHooks]) hook();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function isProtected(pathname: string): boolean {
  return /^\/(api|v1)(\/|$)/.test(pathname);
}

function parseUrl(raw: string | undefined): URL | undefined {
  if (!raw || !raw.startsWith('/')) return undefined;
  try {
    return new URL(`http://${LISTEN_HOST}${raw}`);
  } catch {
    return undefined;
  }
}

function listen(server: http.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        reject(new Error(`Port ${port} is already in use. Choose another with --port, or --port 0 for a free one.`));
      } else {
        reject(error);
      }
    });
    server.listen(port, LISTEN_HOST, () => resolve((server.address() as { port: number }).port));
  });
}

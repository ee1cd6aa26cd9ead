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
import { HttpError, openAiErrorBody, readJsonBody, SECURITY_HEADERS, sendError, sendJson } from './http';
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
  const closeHooks = new Set<() => void | Promise<void>>();
  let port = 0;

  const server = http.createServer((req, res) => {
    handleRequest(req, res).catch((error: unknown) => {
      const fail = errorSender(req.url);
      if (error instanceof HttpError) {
        if (error.status === 413) res.setHeader('Connection', 'close');
        return fail(res, error.status, error.code, error.message);
      }
      options.services.context.log('error', `server: ${(error as Error).stack ?? error}`);
      fail(res, 500, 'internal', 'The server failed to answer this request; see logs/distillery.log.');
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
    const fail = errorSender(url.pathname);
    if (isProtected(url.pathname) && !tokenMatches(requestToken(req, url), token)) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      return fail(res, 401, 'unauthorized', 'Missing or wrong token: open the URL that `distillery serve` printed.');
    }
    const match = router.match(method, url.pathname);
    if (match === 'method_not_allowed') return fail(res, 405, 'method_not_allowed', `${method} is not allowed here.`);
    if (match) return match.route.handle(routeContext(req, res, url, match.params));
    if (isProtected(url.pathname)) return fail(res, 404, 'not_found', `No such endpoint: ${url.pathname}`);
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

  // Idle keep-alive sockets are closed by the clients, never under them by the server. With Node's default the server
  // drops a socket 5 s after its last response and says so (Keep-Alive: timeout=5); fetch (undici) then reuses it for
  // up to 4 s after *it* read that response. On a loaded machine the client reads the response over a second late and
  // sends its next request on a socket the server is closing: `fetch failed … other side closed`. 0 turns off both
  // the header and the server's idle timer; fetch then drops idle sockets after its own 4 s, browsers after minutes,
  // and close() ends every socket.
  server.keepAliveTimeout = 0;
  port = await listen(server, options.port ?? 0);
  const url = `http://${LISTEN_HOST}:${port}`;
  return {
    url,
    openUrl: `${url}/?token=${token}`,
    port,
    token,
    server,
    close: async () => {
      // Long-lived responses end properly first (an SSE stream gets its error event and [DONE]), then every socket goes.
      const ending = [...closeHooks].map((hook) => Promise.resolve(hook()).catch(() => undefined));
      await Promise.race([Promise.all(ending), new Promise((resolve) => setTimeout(resolve, CLOSE_GRACE_MS))]);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** How long close() waits for long-lived responses to end before dropping their sockets. */
const CLOSE_GRACE_MS = 1000;

/** /v1 answers errors in OpenAI's shape (its clients read type and param); everything else in the app's. */
function errorSender(pathname: string | undefined): (res: ServerResponse, status: number, code: string, message: string) => void {
  if (!/^\/v1(\/|$|\?)/.test(pathname ?? '')) return sendError;
  return (res, status, code, message) => sendJson(res, status, openAiErrorBody(status, message, code));
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

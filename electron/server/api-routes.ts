/** The app's own API over HTTP: POST /api/call/:method and GET /api/events (Server-Sent Events). */
import { httpStatusFor, toApiError } from '../services/errors';
import type { Route, RouteContext } from './router';

export const SSE_HEARTBEAT_MS = 15_000;

export const callRoute: Route = {
  method: 'POST',
  path: '/api/call/:method',
  async handle(ctx) {
    const input = await ctx.readJson();
    try {
      ctx.sendJson(200, await ctx.services.dispatch(ctx.params.method!, input));
    } catch (error) {
      const apiError = toApiError(error);
      ctx.sendError(httpStatusFor(apiError.code), apiError.code, apiError.message);
    }
  },
};

export function eventsRoute(heartbeatMs = SSE_HEARTBEAT_MS): Route {
  return {
    method: 'GET',
    path: '/api/events',
    handle(ctx: RouteContext) {
      const { res, services } = ctx;
      res.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-store',
        Connection: 'keep-alive',
        'X-Accel-Buffering': 'no',
      });
      const write = (name: string, payload: unknown) => res.write(`event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`);
      res.write('retry: 2000\n: connected\n\n');
      // A client that (re)connects learns the engine's state at once, without waiting for the next change.
      write('engine.status', services.context.engine.status());
      const unsubscribe = services.events.onAny(write);
      const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), heartbeatMs);
      const stop = () => {
        clearInterval(heartbeat);
        unsubscribe();
        offClose();
        if (!res.writableEnded) res.end();
      };
      const offClose = ctx.onServerClose(stop);
      res.on('close', stop); // the client went away (res 'close' is reliable; req 'close' fires when its body is read)
    },
  };
}

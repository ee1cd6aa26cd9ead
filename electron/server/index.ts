export { startServer, defaultStaticDir, LISTEN_HOST, type StartServerOptions, type RunningServer } from './server';
export type { Route, RouteContext, HttpMethod } from './router';
export { routeModules, type RouteModule, type RouteOptions } from './route-table';
export { HttpError, MAX_BODY_BYTES, sendJson, sendError, readJsonBody } from './http';
export { newToken, tokenMatches } from './auth';

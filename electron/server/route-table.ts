/**
 * Every route module of the headless server, in match order. Add one line per module (e.g. the OpenAI API).
 */
import { callRoute, eventsRoute } from './api-routes';
import { openAiRoutes } from './openai';
import type { Route } from './router';

export interface RouteOptions {
  heartbeatMs?: number;
}

export type RouteModule = (options: RouteOptions) => Route[];

export const routeModules: RouteModule[] = [(options) => [callRoute, eventsRoute(options.heartbeatMs)], (options) => openAiRoutes(options.heartbeatMs)];

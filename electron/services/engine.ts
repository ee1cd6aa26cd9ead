/** engine.* methods, and engine status changes forwarded as `engine.status` events. */
import type { ServiceModule } from './context';

const INFO_TIMEOUT_MS = 30_000;

export const engineService: ServiceModule = (ctx) => {
  const unsubscribe = ctx.engine.onStatus((status) => ctx.events.emit('engine.status', status));
  return {
    handlers: {
      'engine.info': () => ctx.engine.request('info', {}, { timeoutMs: INFO_TIMEOUT_MS }),
      'engine.status': async () => ctx.engine.status(),
      'engine.restart': () => ctx.engine.restart(),
    },
    dispose: () => {
      unsubscribe();
    },
  };
};

/** app.* methods. */
import type { ServiceModule } from './context';

export const appService: ServiceModule = (ctx) => ({
  handlers: {
    'app.info': async () => ({ version: ctx.version, dataDir: ctx.paths.root, transport: ctx.transport }),
  },
});

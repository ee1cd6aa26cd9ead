import { test as base, expect, type Page } from '@playwright/test';
import type { ApiMethod, ApiOutput } from '../../electron/contract/api';
import { serverCall, startServer, type ServerHandle } from './server';

export interface Fixtures {
  /** A page that opened the printed URL and shows the app frame with the engine ready. */
  app: Page;
  /** Calls the API directly (as a script would), with the token. */
  callApi: <M extends ApiMethod>(method: M, input?: unknown) => Promise<ApiOutput<M>>;
}

/** One server per worker (the suite runs with one worker): started once, stopped after the last test. */
export const test = base.extend<Fixtures, { server: ServerHandle }>({
  server: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const server = await startServer();
      await use(server);
      await server.stop();
    },
    { scope: 'worker' },
  ],
  app: async ({ page, server }, use, testInfo) => {
    await page.goto(server.url);
    await appReady(page);
    await use(page);
    if (testInfo.status !== testInfo.expectedStatus) {
      await testInfo.attach('distillery-serve-stderr', { body: server.logs(), contentType: 'text/plain' });
    }
  },
  callApi: async ({ server }, use) => {
    await use((method, input = {}) => serverCall(server, method, input));
  },
});

/**
 * The app frame is up and has talked to the server: its keyboard shortcuts are listening (a key pressed right after
 * a reload can land before they are, and is lost on a loaded machine). A fresh server's engine is still starting (it
 * loads ONNX Runtime): tests begin from a ready engine.
 */
export async function appReady(page: Page): Promise<void> {
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
  await expect(page.getByTestId('engine-status')).toContainText('Engine ready', { timeout: 60_000 });
}

/** Reloads the page (models added through the API since it opened) and waits until the app is ready again. */
export async function reloadApp(page: Page): Promise<void> {
  await page.reload();
  await appReady(page);
}

export { expect };

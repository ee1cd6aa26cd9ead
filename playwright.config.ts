import { defineConfig } from '@playwright/test';

/**
 * Two projects:
 * - headless: `distillery serve` in a temp DISTILLERY_HOME, driven in Debian's Chromium (CHROMIUM_PATH, default
 *   /usr/bin/chromium). Needs `npm run build` first (the server serves out/renderer).
 * - electron: the desktop app through Playwright's _electron; skips with the reason where the Electron binary is absent.
 */
const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export default defineConfig({
  testDir: './e2e',
  // One server and one browser at a time: the machine has 2 cores and the engine is a process of its own.
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: [['list']],
  outputDir: '.tmp/e2e-results',
  use: {
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    {
      name: 'headless',
      testMatch: /headless\/.*\.spec\.ts$/,
      use: {
        browserName: 'chromium',
        viewport: { width: 1280, height: 800 },
        launchOptions: {
          executablePath: chromiumPath,
          args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
            '--no-first-run',
            '--disable-quic',
          ],
        },
      },
    },
    {
      name: 'electron',
      testMatch: /electron\/.*\.spec\.ts$/,
    },
  ],
});

/**
 * Development aid, not a test: screenshots of every screen in light and dark, for looking at the UI.
 *   npm run build && npx tsx e2e/support/screenshots.ts [outDir]   (default .tmp/screenshots)
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium } from '@playwright/test';
import { repoRoot, startServer } from './server';

const outDir = path.resolve(process.argv[2] ?? path.join(repoRoot, '.tmp', 'screenshots'));
const screens = ['chat', 'compare', 'models', 'finetune', 'settings'];

async function main() {
  mkdirSync(outDir, { recursive: true });
  const server = await startServer();
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    for (const theme of ['light', 'dark'] as const) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: theme });
      const page = await context.newPage();
      await page.goto(server.url);
      await page.getByText('Engine ready').waitFor({ timeout: 60_000 });
      for (const [index, screen] of screens.entries()) {
        await page.keyboard.press(`Control+${index + 1}`);
        if (screen === 'settings') await page.getByTestId('engine-info').waitFor();
        await page.waitForTimeout(300);
        await page.screenshot({ path: path.join(outDir, `${screen}-${theme}.png`), fullPage: false });
      }
      await page.getByRole('button', { name: 'Run test job' }).click();
      await page.waitForTimeout(2500);
      await page.getByTestId('diagnostics').scrollIntoViewIfNeeded();
      await page.screenshot({ path: path.join(outDir, `job-${theme}.png`) });
      await page.getByRole('button', { name: 'Cancel' }).click();
      // The crash banner: kill -9 the engine, as the e2e crash spec does.
      const status = await fetch(`${server.origin}/api/call/engine.status`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json' },
        body: '{}',
      }).then((response) => response.json() as Promise<{ pid: number }>);
      process.kill(status.pid, 'SIGKILL');
      await page.getByTestId('crash-banner').waitFor();
      await page.keyboard.press('Control+1');
      await page.screenshot({ path: path.join(outDir, `crash-${theme}.png`) });
      await page.getByText('Engine ready').waitFor({ timeout: 60_000 });
      await page.screenshot({ path: path.join(outDir, `crash-recovered-${theme}.png`) });
      await context.close();
    }
    const bare = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await bare.goto(server.origin);
    await bare.screenshot({ path: path.join(outDir, 'token-required.png') });
  } finally {
    await browser.close();
    await server.stop();
  }
  console.log(`Screenshots in ${outDir}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

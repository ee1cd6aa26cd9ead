/**
 * Getting a model from the Models screen, against the hub emulator (HF_ENDPOINT): the catalog with fit verdicts,
 * a download with its progress bar and per-file progress, pause and resume, the follow-on conversion, the model in
 * the list with its disk usage, then a chat. Every process of the server (the engine included) runs with a guard
 * that refuses and logs any non-loopback connection: the log must stay empty. Offline mode shows only what is on disk.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { tsxExecArgv } from '../../electron/engine/entry';
import { startHubEmulator, type HubEmulator } from '../../electron/testing/hub-emulator';
import { expect, test as base } from '../support/fixtures';
import { repoRoot, startServer, type ServerHandle } from '../support/server';
import { forgetModelsAndChats, openChat, pickModel, screenshot, sendPrompt, setSettings } from './chat-helpers';

const REPO = 'deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B';

interface HubSetup {
  hub: HubEmulator;
  cacheDir: string;
  guardLog: string;
}

/** The scripted checkpoint (greedy reply "…The answer is \boxed{4}.", also after q4), built in a tsx child. */
function buildCheckpoint(): string {
  const script = "const { makeScriptedModel } = await import('./electron/testing/fixtures.ts'); process.stdout.write((await makeScriptedModel()).hfDir + '\\n');";
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repoRoot, encoding: 'utf8', timeout: 300_000, stdio: ['ignore', 'pipe', 'inherit'] });
  return out.trim().split('\n').pop()!;
}

const test = base.extend<object, { hubSetup: HubSetup }>({
  hubSetup: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const hub = await startHubEmulator();
      hub.addRepoFromFolder(REPO, buildCheckpoint());
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-e2e-hub-'));
      const guardLog = path.join(dir, 'net-attempts.log');
      fs.writeFileSync(guardLog, '');
      await use({ hub, cacheDir: path.join(dir, 'hf-cache'), guardLog });
      await hub.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
    { scope: 'worker', timeout: 360_000 },
  ],
  server: [
    async ({ hubSetup }, use) => {
      const preload = pathToFileURL(path.join(repoRoot, 'electron', 'testing', 'net-guard-preload.ts')).href;
      const server: ServerHandle = await startServer({
        env: {
          HF_ENDPOINT: hubSetup.hub.url,
          HF_HUB_CACHE: hubSetup.cacheDir,
          DISTILLERY_NET_GUARD_LOG: hubSetup.guardLog,
          NODE_OPTIONS: `${tsxExecArgv().join(' ')} --import ${preload}`,
        },
      });
      await use(server);
      await server.stop();
    },
    { scope: 'worker' },
  ],
});

test.describe.configure({ mode: 'serial' });

test.afterAll(async ({ server }) => {
  await forgetModelsAndChats(server);
});

test('catalog with fit verdicts → download with progress → pause → resume → conversion → model → chat, all offline but the hub', async ({ app, hubSetup, callApi }) => {
  test.setTimeout(420_000);
  const { hub } = hubSetup;
  // Slow enough to watch the bar and pause; the rest of the repo streams at full speed.
  hub.addFault({ target: 'model.safetensors', bytesPerSecond: 1_500_000, times: 3 });
  await app.keyboard.press('Control+3');
  const card = app.getByTestId('catalog-card');
  await expect(card.getByTestId('catalog-entry')).toHaveCount(6);
  const entry = card.getByTestId('catalog-entry').filter({ hasText: 'DeepSeek-R1-Distill-Qwen-1.5B' });
  await expect(entry.getByTestId('fit-table')).toBeVisible();
  await expect(entry.getByTestId('verdict-q4')).toHaveText(/Fits on the GPU|CPU only|Will not fit/);
  const select = entry.getByRole('combobox', { name: 'Precision for DeepSeek-R1-Distill-Qwen-1.5B' });
  const recommended = (await callApi('catalog.list')).items[0].recommendedDtype;
  await expect(select).toHaveValue(recommended);
  await expect(entry.getByTestId('catalog-size')).toContainText('download');
  await card.getByRole('textbox', { name: 'Search models' }).fill('llama');
  await expect(card.getByTestId('catalog-entry')).toHaveCount(2);
  await card.getByRole('textbox', { name: 'Search models' }).fill('');
  await screenshot(app, 'catalog');

  await select.selectOption('q4');
  await entry.getByRole('button', { name: 'Download DeepSeek-R1-Distill-Qwen-1.5B' }).click();
  const job = card.getByTestId('download-job').filter({ hasText: `Download ${REPO}` });
  await expect(job).toHaveAttribute('data-state', 'running');
  const bar = job.getByRole('progressbar');
  await expect.poll(async () => Number(await bar.getAttribute('aria-valuenow')), { timeout: 60_000 }).toBeGreaterThan(5);
  await expect(card.getByTestId('download-files')).toContainText('model.safetensors');
  await expect(job.getByTestId('job-message')).toContainText(/of .* · .*\/s/);
  await screenshot(app, 'download-running');

  await job.getByRole('button', { name: 'Pause' }).click();
  await expect(job).toHaveAttribute('data-state', 'paused');
  const blobs = path.join(hubSetup.cacheDir, 'models--deepseek-ai--DeepSeek-R1-Distill-Qwen-1.5B', 'blobs');
  const partial = fs.readdirSync(blobs).find((name) => name.endsWith('.incomplete'));
  expect(partial).toBeDefined();
  const kept = fs.statSync(path.join(blobs, partial!)).size;
  expect(kept).toBeGreaterThan(0);

  hub.requests.length = 0;
  await job.getByRole('button', { name: 'Resume' }).click();
  await expect(job).toHaveAttribute('data-state', 'succeeded', { timeout: 120_000 });
  const resumed = hub.requests.find((r) => r.server === 'storage' && r.range && r.range !== 'bytes=0-0');
  expect(resumed?.range).toMatch(new RegExp(`^bytes=${kept}-`));
  await expect(job.getByTestId('job-message')).toContainText('Converting to q4 next');

  const convert = card.getByTestId('download-job').filter({ hasText: 'Convert DeepSeek-R1-Distill-Qwen-1.5B to q4' });
  await expect(convert).toHaveAttribute('data-state', 'succeeded', { timeout: 180_000 });
  const row = app.getByTestId('model-row').filter({ hasText: 'DeepSeek-R1-Distill-Qwen-1.5B q4' });
  await expect(row).toContainText('qwen2 · q4');
  await expect(row.getByTestId('model-usage')).toContainText('on disk');
  await expect(app.getByTestId('models-usage-total')).toContainText('on disk');
  await expect(entry).toContainText('In your models');
  await screenshot(app, 'download-done');

  await hub.close(); // the hub is gone: the chat must not need it
  await openChat(app);
  await pickModel(app, 'DeepSeek-R1-Distill-Qwen-1.5B q4');
  await setSettings(app, { Temperature: '0' });
  await sendPrompt(app, 'What is 2 + 2?');
  const reply = app.getByTestId('message-assistant').last();
  await expect(reply).toHaveAttribute('data-status', 'complete', { timeout: 120_000 });
  await expect(reply.getByTestId('answer')).toHaveText('The answer is 4.');

  expect(fs.readFileSync(hubSetup.guardLog, 'utf8')).toBe('');
});

test('Offline mode in Settings: the catalog shows only what is on disk, and downloads are refused', async ({ app, callApi }) => {
  await app.keyboard.press('Control+5');
  const network = app.getByTestId('network-card');
  // A controlled switch: it turns on once the app confirmed the setting.
  await network.getByRole('checkbox', { name: 'Offline mode' }).click();
  await expect(network.getByRole('checkbox', { name: 'Offline mode' })).toBeChecked();
  await app.keyboard.press('Control+3');
  const card = app.getByTestId('catalog-card');
  await expect(card).toContainText('Offline mode is on');
  await expect(card.getByTestId('catalog-entry')).toHaveCount(1);
  await expect(card.getByTestId('catalog-entry')).toContainText('DeepSeek-R1-Distill-Qwen-1.5B');
  await expect(callApi('downloads.start', { repo: 'deepseek-ai/DeepSeek-R1-Distill-Qwen-7B' })).rejects.toThrow(/Offline mode is on/);
  await callApi('downloads.setOffline', { offline: false });
  await app.reload();
  await expect(app.getByTestId('catalog-card').getByTestId('catalog-entry')).toHaveCount(6);
});

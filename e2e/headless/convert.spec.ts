/**
 * Converting a checkpoint from the Models screen: the form's checks, a failing source, a running conversion with its
 * progress bar and Cancel, and a conversion to q4 that lands in the model list, loads and answers in Chat.
 * The Hugging Face folders come from electron/testing/factory.ts, built in a tsx child process (cached in os.tmpdir()).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '../support/fixtures';
import { repoRoot } from '../support/server';
import { forgetModelsAndChats, openChat, pickModel, screenshot, sendPrompt, setSettings } from './chat-helpers';

interface Checkpoints {
  /** Greedy reply, also after q4: "Let me add." then "The answer is \boxed{4}." */
  scripted: string;
  /**
   * Random weights, 12 layers at hidden 768 (~800 MB): converts for 15–20 s on two idle cores, so Cancel lands while it
   * runs (at 350 MB an idle machine finished before the click).
   */
  slow: string;
}

const BUILD = `
const { makeScriptedModel, makeTinyModel } = await import('./electron/testing/fixtures.ts');
const scripted = (await makeScriptedModel()).hfDir;
const slow = (await makeTinyModel({ arch: 'qwen2', seed: 5, hidden: 768, layers: 12, heads: 12, kvHeads: 2, intermediate: 2304 })).hfDir;
process.stdout.write(JSON.stringify({ scripted, slow }) + '\\n');
`;

function buildCheckpoints(): Checkpoints {
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', BUILD], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 300_000,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.trim().split('\n').pop()!) as Checkpoints;
}

test.describe.configure({ mode: 'serial' });

let checkpoints: Checkpoints;

test.beforeAll(() => {
  test.setTimeout(360_000);
  checkpoints = buildCheckpoints();
});

test.afterAll(async ({ server }) => {
  await forgetModelsAndChats(server);
});

test('the form refuses a relative path, and a folder that is not a checkpoint fails with the converter’s reason', async ({ app, server }) => {
  await app.keyboard.press('Control+3');
  const card = app.getByTestId('convert-card');
  await expect(card.getByTestId('dtype-note')).toContainText('fastest on CPU (recommended)');
  await card.getByRole('combobox', { name: 'Precision' }).selectOption('fp16');
  await expect(card.getByTestId('dtype-note')).toContainText('best on GPUs');
  await card.getByRole('combobox', { name: 'Precision' }).selectOption('q4');

  await card.getByRole('textbox', { name: 'Checkpoint folder' }).fill('models/qwen');
  await card.getByRole('button', { name: 'Convert', exact: true }).click();
  await expect(card.getByTestId('convert-error')).toContainText('must be an absolute path');

  const empty = path.join(server.home, 'not-a-checkpoint');
  fs.mkdirSync(empty, { recursive: true });
  await card.getByRole('textbox', { name: 'Checkpoint folder' }).fill(empty);
  await card.getByRole('button', { name: 'Convert', exact: true }).click();
  const job = card.getByTestId('convert-job').first();
  await expect(job).toHaveAttribute('data-state', 'failed');
  await expect(job.getByTestId('job-message')).toContainText('has no config.json: point at a Hugging Face model folder');
  await job.getByRole('button', { name: /^Dismiss/ }).click();
  await expect(card.getByTestId('convert-job')).toHaveCount(0);
});

test('a running conversion shows progress and an ETA; Cancel stops it and leaves no folder', async ({ app, server, callApi }) => {
  test.setTimeout(120_000);
  await app.keyboard.press('Control+3');
  const card = app.getByTestId('convert-card');
  await card.getByRole('textbox', { name: 'Checkpoint folder' }).fill(checkpoints.slow);
  await card.getByRole('button', { name: 'Convert', exact: true }).click();

  const job = card.getByTestId('convert-job').first();
  await expect(job).toHaveAttribute('data-state', 'running');
  await expect(job.getByTestId('job-message')).toContainText(/Converting layer \d+\/12 · [\d.]+ MiB of [\d.]+ MiB/, { timeout: 30_000 });
  const bar = job.getByRole('progressbar');
  await expect.poll(async () => Number(await bar.getAttribute('aria-valuenow')), { timeout: 30_000 }).toBeGreaterThan(10);
  await expect(job.locator('.job-eta')).toContainText(/^about \d+ (s|min)/);
  await screenshot(app, 'convert-running');

  await job.getByRole('button', { name: 'Cancel' }).click();
  await expect(job).toHaveAttribute('data-state', 'cancelled');
  await expect(job.getByTestId('job-message')).toContainText('partial output was removed');
  expect(Number(await bar.getAttribute('aria-valuenow'))).toBeLessThan(100);

  const modelsDir = path.join(server.home, 'models');
  expect(fs.readdirSync(modelsDir).filter((name) => name.startsWith(path.basename(checkpoints.slow)))).toEqual([]);
  expect(await callApi('models.list')).toEqual([]);
});

test('convert to q4 from the UI: the bar fills, the model appears in the list, loads on cpu · q4 and answers', async ({ app, server, callApi }) => {
  test.setTimeout(240_000);
  await app.keyboard.press('Control+3');
  const card = app.getByTestId('convert-card');
  await card.getByRole('textbox', { name: 'Checkpoint folder' }).fill(checkpoints.scripted);
  await card.getByRole('textbox', { name: 'Converted model name' }).fill('Scripted q4');
  await card.getByText('Advanced').click();
  await expect(card.getByRole('combobox', { name: 'Block size' })).toHaveValue('64');
  await expect(card.getByRole('checkbox', { name: /Asymmetric/ })).toBeChecked(); // the default: a zero point per block
  await expect(card.getByRole('checkbox', { name: /Portable graph/ })).not.toBeChecked(); // the CPU's graph by default
  await card.getByRole('button', { name: 'Convert', exact: true }).click();

  const job = card.getByTestId('convert-job').first();
  await expect(job).toHaveAttribute('data-state', 'succeeded', { timeout: 120_000 });
  await expect(job.getByRole('progressbar')).toHaveAttribute('aria-valuenow', '100');
  await expect(job.getByTestId('job-message')).toContainText('Converted to q4 in');
  await expect(job.getByTestId('job-message')).toContainText('added to your models as “Scripted q4”');

  const row = app.getByTestId('model-row').filter({ hasText: 'Scripted q4' });
  await expect(row).toContainText('qwen2 · q4');
  await expect(row).toContainText('converted');
  const outDir = path.join(server.home, 'models', `${path.basename(checkpoints.scripted)}-q4`);
  await expect(row).toContainText(outDir);
  expect(fs.existsSync(path.join(outDir, 'distillery.json'))).toBe(true);
  await screenshot(app, 'convert-done');

  await row.getByRole('button', { name: 'Load' }).click();
  await expect(row.getByTestId('model-running')).toHaveText('cpu · q4', { timeout: 60_000 });
  const jobs = await callApi('jobs.list');
  expect(jobs.find((j) => j.kind === 'convert' && j.state === 'succeeded')?.title).toBe(`Convert ${path.basename(checkpoints.scripted)} to q4`);

  await openChat(app);
  await pickModel(app, 'Scripted q4');
  await setSettings(app, { Temperature: '0' });
  await sendPrompt(app, 'What is 2 + 2?');
  const reply = app.getByTestId('message-assistant').last();
  await expect(reply).toHaveAttribute('data-status', 'complete', { timeout: 120_000 });
  await expect(reply.getByTestId('answer')).toHaveText('The answer is 4.');
});

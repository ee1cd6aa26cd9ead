/**
 * "Re-convert for speed" on the Models screen: a folder converter 1.0 wrote (standard graph, no `graph` in its
 * manifest) from a scripted checkpoint kept in a Hugging Face cache layout. Without its checkpoint the row says what
 * to download; with it, the action runs as a job on the row and the row then shows the fused graph, and the model loads;
 * set to WebGPU, the row offers the portable graph instead where WebGPU starts, and nothing where it does not.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CONVERTER_VERSION } from '../../electron/convert/manifest';
import { expect, test } from '../support/fixtures';
import { repoRoot, type ServerHandle } from '../support/server';
import { forgetModelsAndChats, screenshot } from './chat-helpers';

const REPO = 'deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B';

// argv: the checkpoint copy to write (hub cache layout), the old model folder to write from it
const BUILD = `
const fs = await import('node:fs');
const { makeScriptedModel } = await import('./electron/testing/fixtures.ts');
const { writeLegacyConvertedFolder } = await import('./electron/testing/model-folders.ts');
const [source, folder] = process.argv.slice(1);
fs.rmSync(source, { recursive: true, force: true });
fs.rmSync(folder, { recursive: true, force: true });
fs.cpSync((await makeScriptedModel()).hfDir, source, { recursive: true, dereference: true });
await writeLegacyConvertedFolder(source, folder);
`;

function buildOldFolder(server: ServerHandle): { source: string; folder: string } {
  const source = path.join(server.home, 'hf-cache', `models--${REPO.replace('/', '--')}`, 'snapshots', 'b'.repeat(40));
  const folder = path.join(server.home, 'models', 'old-r1');
  execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', BUILD, source, folder], {
    cwd: repoRoot,
    timeout: 300_000,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return { source, folder };
}

// the page and its ready engine are part of each test's time: on a loaded 2-core machine that alone can take a minute
test.describe.configure({ mode: 'serial', timeout: 240_000 });

let source: string;
let folder: string;

test.beforeAll(({ server }) => {
  test.setTimeout(360_000);
  ({ source, folder } = buildOldFolder(server));
});

test.afterAll(async ({ server }) => {
  await forgetModelsAndChats(server);
});

test('without its checkpoint, an old folder’s row says what to download instead of offering the re-conversion', async ({ app, callApi }) => {
  const tokenizer = path.join(source, 'tokenizer.json');
  fs.renameSync(tokenizer, `${tokenizer}.away`);
  try {
    await callApi('models.add', { path: folder, name: 'Old R1' });
    await app.keyboard.press('Control+3');
    const row = app.getByTestId('model-row').filter({ hasText: 'Old R1' });
    await expect(row.getByTestId('model-graph')).toHaveText(' · standard graph · converter 1.0.0');
    await expect(row.getByTestId('reconvert-unavailable')).toContainText(`is gone or incomplete (tokenizer.json is missing): download ${REPO} again`);
    await expect(row.getByRole('button', { name: 'Re-convert for speed' })).toHaveCount(0);
  } finally {
    fs.renameSync(`${tokenizer}.away`, tokenizer);
  }
});

test('Re-convert for speed runs on the row, then the row shows the fused graph and the model loads', async ({ app, callApi }) => {
  await app.keyboard.press('Control+3');
  const row = app.getByTestId('model-row').filter({ hasText: 'Old R1' });
  const offer = row.getByTestId('reconvert-offer');
  await expect(offer).toContainText('Converted by an older Distillery (converter 1.0.0), before the fused graph: about 1.6× slower decode');
  await row.scrollIntoViewIfNeeded();
  await screenshot(app, 'models-reconvert-offer');
  await offer.getByRole('button', { name: 'Re-convert for speed' }).click();

  const job = row.getByTestId('reconvert-job');
  await expect(job).toContainText('Re-convert “Old R1” for speed');
  await expect(job).toHaveAttribute('data-state', 'succeeded', { timeout: 180_000 });
  await expect(job.getByRole('progressbar')).toHaveAttribute('aria-valuenow', '100');
  await expect(job.getByTestId('job-message')).toContainText('Re-converted “Old R1” to the fused graph in');
  await expect(row.getByTestId('model-graph')).toHaveText(` · fused graph · converter ${CONVERTER_VERSION}`);
  await expect(row.getByTestId('reconvert-offer')).toHaveCount(0);
  await job.getByRole('button', { name: /^Dismiss/ }).click();
  await expect(row.getByTestId('reconvert-job')).toHaveCount(0);
  await screenshot(app, 'models-reconvert-done');

  const models = await callApi('models.list');
  expect(models).toHaveLength(1);
  expect(models[0]).toMatchObject({ name: 'Old R1', path: folder, convertedWith: { converterVersion: CONVERTER_VERSION, graph: 'fused-xkv-v3' } });
  await row.getByRole('button', { name: 'Load' }).click();
  await expect(row.getByTestId('model-running')).toHaveText('cpu · fp32', { timeout: 60_000 });
});

/** Whether WebGPU starts here, as the engine's probe says (it does not on CI's machines: no GPU). */
async function webgpuStarts(callApi: (method: 'engine.info') => Promise<{ executionProviders: { name: string; available: boolean }[] }>) {
  return (await callApi('engine.info')).executionProviders.some((p) => p.name === 'webgpu' && p.available);
}

test('set to WebGPU where WebGPU does not start, the row offers no portable graph: it runs on the CPU', async ({ app, callApi }) => {
  test.skip(await webgpuStarts(callApi), 'WebGPU starts on this machine: the next test covers it');
  const [model] = await callApi('models.list');
  await callApi('models.unload', { modelId: model!.id });
  await callApi('settings.setProvider', { modelId: model!.id, provider: 'webgpu' });
  await app.reload(); // the list is read when the screen opens
  await app.keyboard.press('Control+3');
  const row = app.getByTestId('model-row').filter({ hasText: 'Old R1' });
  await expect(row.getByTestId('model-provider')).toContainText('WebGPU is not available on this machine, so models fall back');
  await expect(row.getByTestId('model-graph')).toHaveText(` · fused graph · converter ${CONVERTER_VERSION}`);
  await expect(row.getByTestId('reconvert-offer')).toHaveCount(0);
  expect((await callApi('models.list'))[0]!.speedUpgrade).toBeUndefined();
  await callApi('settings.setProvider', { modelId: model!.id, provider: 'auto' });
});

test('set to WebGPU where WebGPU starts, the row offers “Re-convert for WebGPU” and the folder gets the portable graph', async ({ app, callApi }) => {
  // CI has no GPU: there the service test (reconvert.test.ts) covers the offer and the job with a probe that says WebGPU starts
  test.skip(!(await webgpuStarts(callApi)), 'WebGPU does not start on this machine (no GPU adapter)');
  const [model] = await callApi('models.list');
  await callApi('models.unload', { modelId: model!.id }); // loaded, the offer follows where it runs now (the CPU)
  await callApi('settings.setProvider', { modelId: model!.id, provider: 'webgpu' });
  await app.reload(); // the list is read when the screen opens
  await app.keyboard.press('Control+3');
  const row = app.getByTestId('model-row').filter({ hasText: 'Old R1' });
  const offer = row.getByTestId('reconvert-offer');
  await expect(offer).toContainText('This model runs on WebGPU, where its graph copies the whole KV cache to the GPU on every token');
  await expect(offer.getByRole('button', { name: 'Re-convert for speed' })).toHaveCount(0);
  await screenshot(app, 'models-reconvert-webgpu');
  await offer.getByRole('button', { name: 'Re-convert for WebGPU' }).click();

  const job = row.getByTestId('reconvert-job');
  await expect(job).toContainText('Re-convert “Old R1” for WebGPU');
  await expect(job).toHaveAttribute('data-state', 'succeeded', { timeout: 180_000 });
  await expect(job.getByTestId('job-message')).toContainText('Re-converted “Old R1” to the portable graph (its cache stays on the GPU) in');
  await expect(row.getByTestId('model-graph')).toHaveText(` · fused graph (portable) · converter ${CONVERTER_VERSION}`);
  await expect(row.getByTestId('reconvert-offer')).toHaveCount(0);
  expect((await callApi('models.list'))[0]).toMatchObject({ id: model!.id, name: 'Old R1', providerOverride: 'webgpu', convertedWith: { graph: 'fused-gqa-v1' } });
});

test('a portable folder that runs on the CPU is offered the default graph back (Re-convert for speed)', async ({ app, callApi, server }) => {
  // converted with the portable graph (as for WebGPU), then loaded here, on the CPU
  const portableFolder = path.join(server.home, 'models', 'portable-r1');
  const convert = await callApi('jobs.startConvert', { hfDir: source, outDir: portableFolder, dtype: 'fp32', portable: true, name: 'Portable R1' });
  await expect.poll(async () => (await callApi('jobs.list')).find((j) => j.id === convert.id)?.state, { timeout: 120_000 }).toBe('succeeded');
  const model = (await callApi('models.list')).find((m) => m.name === 'Portable R1')!;
  expect(model).toMatchObject({ convertedWith: { graph: 'fused-gqa-v1' } });
  expect(model.speedUpgrade).toBeUndefined(); // not known to run on the CPU yet: a portable folder may be a choice
  await callApi('models.load', { modelId: model.id, provider: 'cpu' });

  await app.reload();
  // Chat's picker folds the load's advice (its header is narrow); the Models row says it with the button instead
  await app.keyboard.press('Control+1');
  await app.getByRole('combobox', { name: 'Model' }).selectOption({ label: 'Portable R1' });
  const advice = app.getByTestId('model-advice');
  await expect(advice.locator('summary')).toHaveText('Slow graph here: how to fix');
  await expect(advice.getByText(/copies its whole KV cache back on every token/)).toBeHidden();
  await advice.locator('summary').click();
  await expect(advice).toContainText("On the CPU this folder's graph copies its whole KV cache back on every token");
  await app.keyboard.press('Control+3');
  const row = app.getByTestId('model-row').filter({ hasText: 'Portable R1' });
  await expect(row.getByTestId('model-running')).toHaveText('cpu · fp32');
  const offer = row.getByTestId('reconvert-offer');
  await expect(offer).toContainText('This model runs on the CPU, and its folder holds the portable graph');
  await expect(offer).toContainText('keep the portable folder if another runtime loads it');
  await offer.getByRole('button', { name: 'Re-convert for speed' }).click();
  const job = row.getByTestId('reconvert-job');
  await expect(job).toHaveAttribute('data-state', 'succeeded', { timeout: 180_000 });
  await expect(job.getByTestId('job-message')).toContainText('Re-converted “Portable R1” to the fused graph in');
  await expect(row.getByTestId('model-graph')).toHaveText(` · fused graph · converter ${CONVERTER_VERSION}`);
  await expect(row.getByTestId('reconvert-offer')).toHaveCount(0);
  expect((await callApi('models.list')).find((m) => m.id === model.id)).toMatchObject({ name: 'Portable R1', convertedWith: { graph: 'fused-xkv-v3' } });
});

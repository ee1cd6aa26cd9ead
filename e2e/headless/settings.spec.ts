import fs from 'node:fs';
import path from 'node:path';
import { expect, reloadApp, test } from '../support/fixtures';
import { buildChatModels, copyModelFolder, forgetModelsAndChats } from './chat-helpers';

test('Settings shows the engine info: ORT version, providers, CPU, RAM and the data folder', async ({ app, server, callApi }) => {
  const info = await callApi('engine.info');
  await app.keyboard.press('Control+5');
  const engine = app.getByTestId('engine-info');
  await expect(engine).toContainText(info.ortVersion);
  await expect(engine).toContainText(`${info.cpuCount} cores`);
  await expect(engine).toContainText(/\d+(\.\d)? GiB total/);
  await expect(engine).toContainText(`pid ${info.pid}`);

  const providers = app.getByTestId('providers');
  const cpu = providers.getByRole('listitem').filter({ hasText: 'cpu' });
  await expect(cpu).toContainText('Available');
  for (const provider of info.executionProviders) {
    const row = providers.getByRole('listitem').filter({ hasText: provider.name }).first();
    await expect(row).toContainText(provider.available ? 'Available' : 'Unavailable');
    // The fix-it text shows its `commands` as code with a copy button: each piece appears, the backticks do not.
    for (const part of (provider.detail ?? '').split('`').map((p) => p.trim()).filter(Boolean)) await expect(row).toContainText(part);
    if (provider.detail?.includes('`')) await expect(row).not.toContainText('`');
  }

  await expect(app.getByTestId('app-info')).toContainText(server.home);
  await expect(app.getByTestId('app-info')).toContainText('Headless server');
});

test('the theme switches between light and dark and is remembered', async ({ app }) => {
  await app.keyboard.press('Control+5');
  const html = app.locator('html');
  await app.getByRole('radio', { name: 'Dark' }).click();
  await expect(html).toHaveAttribute('data-theme', 'dark');
  await expect(app.locator('body')).toHaveCSS('background-color', 'rgb(21, 21, 23)');
  await reloadApp(app);
  await expect(html).toHaveAttribute('data-theme', 'dark');
  await expect(app.getByRole('radio', { name: 'Dark' })).toHaveAttribute('aria-checked', 'true');
  await app.getByRole('radio', { name: 'Light' }).click();
  await expect(html).toHaveAttribute('data-theme', 'light');
  await expect(app.locator('body')).toHaveCSS('background-color', 'rgb(247, 247, 245)');
});

test('the default execution provider is chosen in Settings, says what is available, and persists after reload', async ({ app, callApi }) => {
  const info = await callApi('engine.info');
  await app.keyboard.press('Control+5');
  const card = app.getByTestId('inference-card');
  await expect(card).toContainText('Changes apply the next time a model is loaded');
  const select = card.getByRole('combobox', { name: 'Execution provider' });
  await expect(select).toHaveValue('auto');
  await expect(select).toBeEnabled();

  // every option says whether it runs here; an unavailable choice shows the fix text
  const cuda = info.executionProviders.find((p) => p.name === 'cuda');
  if (!cuda?.available) {
    await expect(select.locator('option[value="cuda"]')).toHaveText('CUDA (NVIDIA) — not available here');
    await select.selectOption('cuda');
    await expect(card.getByRole('status')).toContainText('CUDA (NVIDIA) is not available on this machine');
    if (cuda?.detail) await expect(card.getByRole('status')).toContainText(cuda.detail);
  }
  await expect(select.locator('option[value="cpu"]')).toHaveText('CPU');

  await select.selectOption('cpu');
  await expect.poll(async () => (await callApi('settings.get')).inference.provider).toBe('cpu');
  await reloadApp(app);
  await app.keyboard.press('Control+5');
  await expect(app.getByTestId('inference-card').getByRole('combobox', { name: 'Execution provider' })).toHaveValue('cpu');

  await app.getByTestId('inference-card').getByRole('combobox', { name: 'Execution provider' }).selectOption('auto');
  await expect.poll(async () => (await callApi('settings.get')).inference.provider).toBe('auto');
});

test('a model\'s own provider is set on its row, persists after reload and is used at the next load', async ({ app, server, callApi }) => {
  test.setTimeout(360_000);
  const folder = copyModelFolder(buildChatModels().scripted, server, 'provider-override');
  const model = await callApi('models.add', { path: folder, name: 'Override R1' });
  await callApi('settings.setProvider', { provider: 'webgpu' });
  try {
    await app.keyboard.press('Control+3');
    const row = app.getByTestId('model-row').filter({ hasText: 'Override R1' });
    const select = row.getByRole('combobox', { name: 'Execution provider for Override R1' });
    await expect(select).toHaveValue('auto');
    await expect(select.locator('option[value="auto"]')).toHaveText('Settings default (webgpu)');
    await select.selectOption('cpu');
    await expect.poll(async () => (await callApi('models.list')).find((m) => m.id === model.id)?.providerOverride).toBe('cpu');

    await reloadApp(app);
    await app.keyboard.press('Control+3');
    await expect(row.getByRole('combobox', { name: 'Execution provider for Override R1' })).toHaveValue('cpu');
    await row.getByRole('button', { name: 'Load' }).click();
    // the override beats the webgpu default: nothing better was even tried
    await expect(row.getByTestId('model-running')).toHaveText('cpu · fp32', { timeout: 60_000 });
    expect((await callApi('models.list')).find((m) => m.id === model.id)?.loaded?.fallbacks).toEqual([]);
  } finally {
    await callApi('settings.setProvider', { provider: 'auto' });
    await forgetModelsAndChats(server);
  }
});

test('a merged model\'s row says what it was fine-tuned from', async ({ app, server, callApi }) => {
  test.setTimeout(360_000);
  const folder = copyModelFolder(buildChatModels().scripted, server, 'fine-tuned');
  // what the merge writes next to the converted model (electron/train/merge-folder.ts)
  fs.writeFileSync(path.join(folder, 'distillery_derived.json'), JSON.stringify({ base: '/checkpoints/DeepSeek-R1-Distill-Qwen-1.5B', adapter: '/runs/a/adapter' }));
  try {
    const model = await callApi('models.add', { path: folder, name: 'Tuned R1' });
    expect(model).toMatchObject({ baseFolder: '/checkpoints/DeepSeek-R1-Distill-Qwen-1.5B', adapter: '/runs/a/adapter', source: 'fine-tuned' });
    await app.keyboard.press('Control+3');
    const row = app.getByTestId('model-row').filter({ hasText: 'Tuned R1' });
    await expect(row.getByTestId('model-derived')).toHaveText('· fine-tuned from DeepSeek-R1-Distill-Qwen-1.5B');
  } finally {
    await forgetModelsAndChats(server);
  }
});

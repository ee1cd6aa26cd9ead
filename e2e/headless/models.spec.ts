import { expect, test } from '../support/fixtures';
import { buildChatModels, forgetModelsAndChats, screenshot } from './chat-helpers';

test.afterAll(async ({ server }) => {
  await forgetModelsAndChats(server);
});

test('add a model folder by path, load it (provider and dtype shown), unload, remove with confirm', async ({ app, callApi }) => {
  test.setTimeout(360_000);
  const folders = buildChatModels();
  await app.keyboard.press('Control+3');

  await app.getByRole('textbox', { name: 'Model folder' }).fill('/no/such/folder');
  await app.getByRole('button', { name: 'Add model' }).click();
  await expect(app.getByTestId('add-model-error')).toContainText('Model folder not found');

  await app.getByRole('textbox', { name: 'Model folder' }).fill(folders.scripted);
  await app.getByRole('textbox', { name: 'Display name' }).fill('Scripted R1');
  await app.getByRole('button', { name: 'Add model' }).click();
  const row = app.getByTestId('model-row').filter({ hasText: 'Scripted R1' });
  await expect(row).toContainText('qwen2 · fp32');
  await expect(row).toContainText(folders.scripted);

  await row.getByRole('button', { name: 'Load' }).click();
  await expect(row.getByTestId('model-running')).toHaveText('cpu · fp32', { timeout: 60_000 });
  await expect(row).toContainText(/context \d+/);
  const listed = await callApi('models.list');
  expect(listed.find((m) => m.name === 'Scripted R1')?.loaded).toMatchObject({ provider: 'cpu', dtype: 'fp32' });
  await screenshot(app, 'models-light');
  await app.emulateMedia({ colorScheme: 'dark' });
  await app.waitForTimeout(200);
  await screenshot(app, 'models-dark');
  await app.keyboard.press('Control+1');
  await app.waitForTimeout(300);
  await screenshot(app, 'chat-empty-dark');
  await app.keyboard.press('Control+3');
  await app.emulateMedia({ colorScheme: 'light' });

  await row.getByRole('button', { name: 'Unload' }).click();
  await expect(row.getByRole('button', { name: 'Load' })).toBeVisible();
  await expect(row).toContainText('Not loaded');

  await row.getByRole('button', { name: 'Remove Scripted R1' }).click();
  await expect(row).toContainText('Forget this model?');
  await row.getByRole('button', { name: 'Cancel' }).click();
  await row.getByRole('button', { name: 'Remove Scripted R1' }).click();
  await row.getByRole('button', { name: 'Remove', exact: true }).click();
  await expect(row).toHaveCount(0);
  expect((await callApi('models.list')).some((m) => m.name === 'Scripted R1')).toBe(false);
});

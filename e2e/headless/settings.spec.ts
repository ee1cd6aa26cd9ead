import { expect, test } from '../support/fixtures';

test('Settings shows the engine info: ORT version, providers, CPU, RAM and the data folder', async ({ app, server, callApi }) => {
  const info = await callApi('engine.info');
  await app.keyboard.press('Control+5');
  const engine = app.getByTestId('engine-info');
  await expect(engine).toContainText(info.ortVersion);
  await expect(engine).toContainText(`${info.cpuCount} cores`);
  await expect(engine).toContainText(/\d+(\.\d)? GB total/);
  await expect(engine).toContainText(`pid ${info.pid}`);

  const providers = app.getByTestId('providers');
  const cpu = providers.getByRole('listitem').filter({ hasText: 'cpu' });
  await expect(cpu).toContainText('Available');
  for (const provider of info.executionProviders) {
    const row = providers.getByRole('listitem').filter({ hasText: provider.name }).first();
    await expect(row).toContainText(provider.available ? 'Available' : 'Unavailable');
    if (provider.detail) await expect(row).toContainText(provider.detail);
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
  await app.reload();
  await expect(html).toHaveAttribute('data-theme', 'dark');
  await expect(app.getByRole('radio', { name: 'Dark' })).toHaveAttribute('aria-checked', 'true');
  await app.getByRole('radio', { name: 'Light' }).click();
  await expect(html).toHaveAttribute('data-theme', 'light');
  await expect(app.locator('body')).toHaveCSS('background-color', 'rgb(247, 247, 245)');
});

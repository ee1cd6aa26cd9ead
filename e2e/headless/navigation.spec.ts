import { expect, test } from '../support/fixtures';

const screens = [
  { nav: 'Chat', heading: 'Chat', hash: '#/chat', key: '1' },
  { nav: 'Compare', heading: 'Compare', hash: '#/compare', key: '2' },
  { nav: 'Models', heading: 'Models', hash: '#/models', key: '3' },
  { nav: 'Fine-tune', heading: 'Fine-tune', hash: '#/finetune', key: '4' },
  { nav: 'Settings', heading: 'Settings', hash: '#/settings', key: '5' },
];

test('the printed URL opens the app and the token leaves the address bar', async ({ app, server }) => {
  await expect(app).toHaveTitle('Distillery');
  expect(app.url()).not.toContain('token=');
  expect(app.url().startsWith(server.origin)).toBe(true);
  await expect(app.getByTestId('engine-status')).toContainText('Engine ready');
});

test('sidebar clicks move between the five screens', async ({ app }) => {
  const nav = app.getByRole('navigation', { name: 'Main' });
  for (const screen of [...screens].reverse()) {
    await nav.getByRole('link', { name: screen.nav }).click();
    await expect(app.getByRole('heading', { level: 1, name: screen.heading })).toBeVisible();
    await expect(nav.getByRole('link', { name: screen.nav })).toHaveAttribute('aria-current', 'page');
    expect(new URL(app.url()).hash).toBe(screen.hash);
  }
});

test('Ctrl+1..5 jump to each screen', async ({ app }) => {
  for (const screen of screens) {
    await app.keyboard.press(`Control+${screen.key}`);
    await expect(app.getByRole('heading', { level: 1, name: screen.heading })).toBeVisible();
  }
});

test('screens owned by later features say what they will do', async ({ app }) => {
  await app.getByRole('link', { name: 'Models' }).click();
  await expect(app.getByRole('heading', { name: 'No models yet' })).toBeVisible();
  const hub = app.getByRole('link', { name: /checkpoints on Hugging Face/ });
  await expect(hub).toHaveAttribute('href', 'https://huggingface.co/deepseek-ai');
  await expect(hub).toHaveAttribute('rel', 'noopener noreferrer');
  await app.getByRole('link', { name: 'Chat' }).click();
  await app.getByRole('button', { name: 'Go to Models' }).click();
  await expect(app.getByRole('heading', { level: 1, name: 'Models' })).toBeVisible();
});

test('a reload keeps the screen and keeps working without the token in the URL', async ({ app }) => {
  await app.keyboard.press('Control+5');
  await expect(app.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible();
  await app.reload();
  await expect(app.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible();
  await expect(app.getByTestId('engine-info')).toContainText('ONNX Runtime');
  await expect(app.getByTestId('engine-status')).toContainText('Engine ready');
});

test('the app loads under the strict CSP with no console errors', async ({ page, server }) => {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  const response = await page.goto(server.url);
  expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
  await expect(page.getByTestId('engine-status')).toContainText('Engine ready', { timeout: 60_000 });
  for (const key of ['1', '2', '3', '4', '5']) await page.keyboard.press(`Control+${key}`);
  await expect(page.getByTestId('engine-info')).toBeVisible();
  expect(errors).toEqual([]);
});

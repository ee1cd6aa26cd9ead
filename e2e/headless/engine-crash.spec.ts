import { expect, test } from '../support/fixtures';

test('kill -9 of the engine shows the crash, then the engine is back and usable', async ({ app, callApi }) => {
  await app.keyboard.press('Control+5');
  const before = await callApi('engine.status');
  expect(before.state).toBe('ready');
  expect(before.pid).toBeGreaterThan(0);
  await expect(app.getByTestId('engine-info')).toContainText(`pid ${before.pid}`);

  process.kill(before.pid!, 'SIGKILL');

  const banner = app.getByTestId('crash-banner');
  await expect(banner).toContainText('Engine crashed');
  await expect(banner).toContainText('SIGKILL');
  await expect(app.getByTestId('engine-status')).toContainText('Engine ready', { timeout: 30_000 });
  await expect(banner).toContainText('restarted');

  const after = await callApi('engine.status');
  expect(after.pid).not.toBe(before.pid);
  expect(after.restarts).toBe(before.restarts + 1);
  // The info re-reads from the new engine process.
  await expect(app.getByTestId('engine-info')).toContainText(`pid ${after.pid}`);

  await banner.getByRole('button', { name: 'Dismiss' }).click();
  await expect(banner).toHaveCount(0);

  // Still works after a reload.
  await app.reload();
  await expect(app.getByTestId('engine-status')).toContainText('Engine ready');
  await expect(app.getByTestId('engine-info')).toContainText(`pid ${after.pid}`);
});

import type { Locator } from '@playwright/test';
import { expect, test } from '../support/fixtures';

/**
 * Starts a test job from the Diagnostics card and returns its row. The server is shared: until the new row shows up,
 * the first row is a job an earlier test left, so wait for one row more than the server had (its count: the screen's
 * list may not have loaded yet).
 */
async function startTestJob(diagnostics: Locator, callApi: (method: 'jobs.list') => Promise<unknown[]>): Promise<Locator> {
  const rows = diagnostics.getByTestId('job-row');
  const before = (await callApi('jobs.list')).length;
  await diagnostics.getByRole('button', { name: 'Run test job' }).click();
  await expect(rows).toHaveCount(before + 1);
  return rows.first();
}

test('the diagnostics job shows progress and an ETA, and Cancel stops it', async ({ app, callApi }) => {
  await app.keyboard.press('Control+5');
  const diagnostics = app.getByTestId('diagnostics');
  const job = await startTestJob(diagnostics, callApi);
  await expect(job).toHaveAttribute('data-state', 'running');
  const bar = job.getByRole('progressbar');
  await expect.poll(async () => Number(await bar.getAttribute('aria-valuenow')), { timeout: 15_000 }).toBeGreaterThan(5);
  await expect(job.locator('.job-eta')).toContainText(/^about \d+ (s|min)/);

  await job.getByRole('button', { name: 'Cancel' }).click();
  await expect(job).toHaveAttribute('data-state', 'cancelled');
  await expect(job).toContainText('Cancelled');
  await expect(job.getByRole('button', { name: 'Cancel' })).toHaveCount(0);
  const stoppedAt = Number(await bar.getAttribute('aria-valuenow'));
  expect(stoppedAt).toBeLessThan(100);

  // The server agrees, and the job stays stopped.
  const jobs = await callApi('jobs.list');
  expect(jobs[0]).toMatchObject({ state: 'cancelled' });
  await app.waitForTimeout(1000);
  expect(Number(await bar.getAttribute('aria-valuenow'))).toBe(stoppedAt);
});

test('Pause keeps the test job where it is, Resume continues it to the end', async ({ app, callApi }) => {
  await app.keyboard.press('Control+5');
  const diagnostics = app.getByTestId('diagnostics');
  const job = await startTestJob(diagnostics, callApi);
  await expect(job).toHaveAttribute('data-state', 'running');
  const bar = job.getByRole('progressbar');
  await expect.poll(async () => Number(await bar.getAttribute('aria-valuenow')), { timeout: 15_000 }).toBeGreaterThan(5);

  await job.getByRole('button', { name: 'Pause' }).click();
  await expect(job).toHaveAttribute('data-state', 'paused');
  await expect(job.getByRole('button', { name: 'Pause' })).toHaveCount(0);
  const pausedAt = Number(await bar.getAttribute('aria-valuenow'));
  expect(pausedAt).toBeGreaterThan(0);
  await app.waitForTimeout(500);
  expect(Number(await bar.getAttribute('aria-valuenow'))).toBe(pausedAt);
  expect((await callApi('jobs.list'))[0]).toMatchObject({ state: 'paused', resumable: true });

  await job.getByRole('button', { name: 'Resume' }).click();
  await expect(job).toHaveAttribute('data-state', 'running');
  await expect(job).toHaveAttribute('data-state', 'succeeded', { timeout: 30_000 });
  expect((await callApi('jobs.list'))[0]).toMatchObject({ state: 'succeeded', progress: 1 });
});

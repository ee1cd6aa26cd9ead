import { request } from 'node:http';
import { expect, test } from '../support/fixtures';

test('a page opened without the token says it needs one', async ({ page, server }) => {
  await page.goto(`${server.origin}/`);
  await expect(page.getByTestId('token-required')).toBeVisible();
  await expect(page.getByRole('heading', { name: 'This page needs its access token' })).toBeVisible();
  await expect(page.getByTestId('token-required')).toContainText('npm run serve');
  await expect(page.getByRole('navigation', { name: 'Main' })).toHaveCount(0);
});

test('a page with a wrong token is told the token was refused', async ({ page, server }) => {
  await page.goto(`${server.origin}/?token=not-the-token`);
  await expect(page.getByTestId('token-required')).toContainText('refused');
  expect(page.url()).not.toContain('not-the-token');
});

test('the API answers 401 without the token and 403 to a foreign origin or host', async ({ server }) => {
  const call = (headers: Record<string, string>) =>
    fetch(`${server.origin}/api/call/app.info`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: '{}' });
  expect((await call({})).status).toBe(401);
  expect((await call({ Authorization: 'Bearer wrong' })).status).toBe(401);
  expect((await call({ Authorization: `Bearer ${server.token}`, Origin: 'http://evil.example' })).status).toBe(403);
  expect((await call({ Authorization: `Bearer ${server.token}` })).status).toBe(200);
  // fetch will not send a made-up Host header; a raw request can (this is what DNS rebinding looks like).
  const rebound = await new Promise<number>((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: server.port, path: '/', method: 'GET', headers: { Host: `attacker.example:${server.port}` } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end();
  });
  expect(rebound).toBe(403);
});

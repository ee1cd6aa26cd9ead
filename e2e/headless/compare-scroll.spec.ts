import type { Locator, Page } from '@playwright/test';
import { expect, reloadApp, test } from '../support/fixtures';
import { addCompareModels, forgetModelsAndChats, sendPrompt, serverCall, setSettings } from './chat-helpers';

test.beforeAll(async ({ server }) => {
  test.setTimeout(360_000);
  await addCompareModels(server);
});

test.afterAll(async ({ server }) => {
  for (const session of await serverCall(server, 'compare.list')) await serverCall(server, 'compare.delete', { sessionId: session.id });
  await forgetModelsAndChats(server);
});

/** How far down a column's message list is scrolled, as a share of how far it can go. */
const scrollFraction = (pane: Locator) => pane.evaluate((el) => el.scrollTop / (el.scrollHeight - el.clientHeight));
const scrollRange = (pane: Locator) => pane.evaluate((el) => el.scrollHeight - el.clientHeight);
const scrollTo = (pane: Locator, fraction: number) => pane.evaluate((el, f) => (el.scrollTop = f * (el.scrollHeight - el.clientHeight)), fraction);
/** Two frames: the scroll events of anything scrolled before have been dispatched (and handled). */
const twoFrames = (page: Page) => page.evaluate('new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))');

test('synced scrolling: with two long columns of different length, scrolling one column moves the other proportionally; turned off it does not', async ({ app }) => {
  test.setTimeout(300_000);
  await reloadApp(app); // the models were added after the page opened
  await app.keyboard.press('Control+2');
  const left = app.getByTestId('compare-left');
  const right = app.getByTestId('compare-right');
  await left.getByRole('combobox').selectOption({ label: 'Scripted R1' });
  await right.getByRole('combobox').selectOption({ label: 'Tiny rambler' });
  for (const side of [left, right]) await expect(side.getByTestId('model-state')).toContainText('cpu', { timeout: 60_000 });

  // A thought panel scrolls on its own past a few hundred pixels, so the columns grow by exchanges: A's are short
  // (a closed thought, one line of answer), B's long (the rambler thinks until the token limit, its thought stays open).
  await setSettings(app, { Temperature: '0', 'Max new tokens': '200' });
  for (let turn = 1; turn <= 4; turn++) {
    await sendPrompt(app, `Question ${turn}`);
    for (const side of [left, right]) {
      const reply = side.getByTestId('message-assistant');
      await expect(reply).toHaveCount(turn);
      await expect(reply.last()).not.toHaveAttribute('data-status', 'streaming', { timeout: 120_000 });
    }
  }

  const leftPane = left.locator('.message-scroll');
  const rightPane = right.locator('.message-scroll');
  await scrollTo(leftPane, 0);
  await scrollTo(rightPane, 0);
  const [leftRange, rightRange] = [await scrollRange(leftPane), await scrollRange(rightPane)];
  expect(leftRange).toBeGreaterThan(200);
  expect(rightRange).toBeGreaterThan(leftRange * 1.3); // proportional, not the same pixels

  // On: a wheel over A moves B to the same share of its length, and the other way round.
  await app.getByRole('checkbox', { name: 'Sync scrolling' }).check();
  await leftPane.hover();
  await app.mouse.wheel(0, leftRange / 2);
  await expect.poll(() => scrollFraction(leftPane)).toBeGreaterThan(0.1);
  await expect.poll(async () => Math.abs((await scrollFraction(rightPane)) - (await scrollFraction(leftPane)))).toBeLessThan(0.02);
  expect(await rightPane.evaluate((el) => el.scrollTop)).toBeGreaterThan(await leftPane.evaluate((el) => el.scrollTop));

  await scrollTo(rightPane, 0.25);
  await expect.poll(() => scrollFraction(leftPane)).toBeCloseTo(0.25, 1);
  await twoFrames(app);
  expect(await scrollFraction(rightPane)).toBeCloseTo(0.25, 1); // the echo did not move B back

  // Off: scrolling A leaves B where it was.
  await app.getByRole('checkbox', { name: 'Sync scrolling' }).uncheck();
  await leftPane.hover();
  await app.mouse.wheel(0, leftRange);
  await expect.poll(() => scrollFraction(leftPane)).toBeGreaterThan(0.9);
  await twoFrames(app);
  expect(await scrollFraction(rightPane)).toBeCloseTo(0.25, 1);
});

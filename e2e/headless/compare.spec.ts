import { expect, reloadApp, test } from '../support/fixtures';
import { addCompareModels, forgetModelsAndChats, screenshot, sendPrompt, setSettings } from './chat-helpers';

test.beforeAll(async ({ server }) => {
  test.setTimeout(360_000);
  await addCompareModels(server);
});

test.afterAll(async ({ server }) => {
  await forgetModelsAndChats(server);
});

test('one prompt streams into two columns side by side, each with its own thinking and stats; Stop stops both', async ({ app, callApi }) => {
  test.setTimeout(240_000);
  await reloadApp(app); // the models were added after the page opened
  await app.keyboard.press('Control+2');
  const left = app.getByTestId('compare-left');
  const right = app.getByTestId('compare-right');
  await left.getByRole('combobox').selectOption({ label: 'Scripted R1' });
  await right.getByRole('combobox').selectOption({ label: 'Tiny rambler' });
  await expect(left.getByTestId('model-state')).toContainText('cpu · fp32', { timeout: 60_000 });
  await expect(right.getByTestId('model-state')).toContainText('cpu · fp32', { timeout: 60_000 });
  await setSettings(app, { Temperature: '0', 'Max new tokens': '32768' });
  await sendPrompt(app, 'What is 2 + 2?');

  // Both columns stream at once: the rambler is still thinking while the scripted model has answered.
  const leftReply = left.getByTestId('message-assistant');
  const rightReply = right.getByTestId('message-assistant');
  await expect(leftReply).toHaveAttribute('data-status', 'complete', { timeout: 120_000 });
  await expect(leftReply.getByTestId('answer')).toHaveText('The answer is 4.');
  await expect(leftReply.getByTestId('message-stats')).toContainText('tok/s');
  await expect(rightReply).toHaveAttribute('data-status', 'streaming');
  await expect(rightReply.getByTestId('thinking')).toHaveAttribute('data-open', 'true');
  await expect.poll(async () => ((await rightReply.getByTestId('thinking-text').textContent()) ?? '').length, { timeout: 60_000 }).toBeGreaterThan(5);
  await expect(left.getByTestId('message-user').locator('.message-bubble')).toHaveText('What is 2 + 2?');
  await expect(right.getByTestId('message-user').locator('.message-bubble')).toHaveText('What is 2 + 2?');
  await screenshot(app, 'compare-light');

  await app.getByRole('button', { name: 'Stop' }).click();
  await expect(rightReply).toHaveAttribute('data-status', 'stopped', { timeout: 30_000 });
  await expect(rightReply.getByTestId('message-status')).toHaveText('Stopped');
  await expect(leftReply).toHaveAttribute('data-status', 'complete');

  // Each side is an ordinary chat with its model, so both show up in Chat.
  const chats = await callApi('chats.list');
  expect(chats.filter((c) => c.title.startsWith('⇄ What is 2 + 2?'))).toHaveLength(2);

  await app.emulateMedia({ colorScheme: 'dark' });
  await app.waitForTimeout(200);
  await screenshot(app, 'compare-dark');
});

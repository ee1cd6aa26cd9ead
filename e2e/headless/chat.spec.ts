import fs from 'node:fs';
import { expect, test } from '../support/fixtures';
import { buildChatModels, copyModelFolder, forgetModelsAndChats, openChat, pickModel, screenshot, sendPrompt, serverCall, setSettings, truncateWeights } from './chat-helpers';

const SCRIPTED = 'Scripted R1';
const RAMBLER = 'Tiny rambler';
const HOSTILE = 'Hostile output';

test.describe.configure({ mode: 'serial' });

test.beforeAll(async ({ server }) => {
  test.setTimeout(360_000);
  const folders = buildChatModels();
  await serverCall(server, 'models.add', { path: folders.scripted, name: SCRIPTED });
  await serverCall(server, 'models.add', { path: folders.tiny, name: RAMBLER });
  await serverCall(server, 'models.add', { path: folders.hostile, name: HOSTILE });
});

test.afterAll(async ({ server }) => {
  await forgetModelsAndChats(server);
});

test('a reply streams its thinking, then the answer; stats show; reload finds the chat intact', async ({ app }) => {
  test.setTimeout(180_000);
  await openChat(app);
  await pickModel(app, SCRIPTED);
  await setSettings(app, { Temperature: '0' }); // the scripted model says its script under greedy decoding
  await sendPrompt(app, 'What is 2 + 2?');

  const reply = app.getByTestId('message-assistant').last();
  await expect(reply).toHaveAttribute('data-status', 'complete', { timeout: 120_000 });
  await expect(app.getByTestId('message-user').last().locator('.message-bubble')).toHaveText('What is 2 + 2?');
  await expect(reply.getByTestId('answer')).toHaveText('The answer is 4.');
  await expect(reply.locator('.boxed-answer')).toHaveText('4');
  // The thought collapsed by itself when the answer started; a click opens it.
  const thinking = reply.getByTestId('thinking');
  await expect(thinking).toHaveAttribute('data-open', 'false');
  await expect(thinking).toContainText(/Thought · .* tokens?/);
  await thinking.getByRole('button').click();
  await expect(reply.getByTestId('thinking-text')).toHaveText('Let me add.');
  await expect(reply.getByTestId('message-stats')).toContainText(/TTFT .* · thought \d+ tok .* · answer \d+ tok .*tok\/s · cpu · fp32/);
  await expect(app.getByTestId('model-state')).toHaveText('cpu · fp32');
  await expect(app.getByTestId('chat-list')).toContainText('What is 2 + 2?');
  await screenshot(app, 'chat-light');
  await app.emulateMedia({ colorScheme: 'dark' });
  await app.getByRole('button', { name: /Settings/ }).click();
  await expect(app.getByRole('dialog', { name: 'Generation settings' })).toBeVisible();
  await screenshot(app, 'chat-settings-dark');
  await app.keyboard.press('Escape');
  await expect(app.getByRole('dialog', { name: 'Generation settings' })).toHaveCount(0);
  await app.emulateMedia({ colorScheme: 'light' });

  await app.reload();
  await expect(app.getByTestId('message-assistant').last().getByTestId('answer')).toHaveText('The answer is 4.', { timeout: 30_000 });
  await expect(app.getByTestId('message-user')).toHaveCount(1);
});

test('hostile model output is shown as text: no HTML elements, no handlers, no javascript: links', async ({ app }) => {
  test.setTimeout(180_000);
  const dialogs: string[] = [];
  app.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await openChat(app);
  await app.keyboard.press('Control+n');
  await pickModel(app, HOSTILE);
  await setSettings(app, { Temperature: '0' });
  await sendPrompt(app, 'Say something nasty.');
  const reply = app.getByTestId('message-assistant').last();
  await expect(reply).toHaveAttribute('data-status', 'complete', { timeout: 120_000 });
  const answer = reply.getByTestId('answer');
  await expect(answer).toContainText('<img src=x onerror=alert(1)>');
  await expect(answer).toContainText('<script>alert(3)</script>');
  await expect(answer).toContainText('click');
  await expect(answer.locator('img, script, iframe, [onerror], [onclick]')).toHaveCount(0);
  await expect(answer.locator('a')).toHaveCount(0); // the javascript: link is inert text
  await expect(answer.locator('.boxed-answer')).toHaveText('7');
  await app.waitForTimeout(500);
  expect(dialogs).toEqual([]);
});

test('the thinking block streams live; Stop keeps the partial reply, marked, across a reload', async ({ app }) => {
  test.setTimeout(180_000);
  await openChat(app);
  await app.keyboard.press('Control+n');
  await pickModel(app, RAMBLER);
  await setSettings(app, { 'Max new tokens': '32768', Seed: '3' });
  await sendPrompt(app, 'Tell me a long story.');

  const reply = app.getByTestId('message-assistant').last();
  const thinking = reply.getByTestId('thinking');
  // Open while the model thinks, text growing, elapsed time and token count counting up.
  await expect(thinking).toHaveAttribute('data-open', 'true', { timeout: 60_000 });
  await expect(thinking).toContainText(/Thinking · .* · \d+ tokens?/);
  const grown = async () => (await reply.getByTestId('thinking-text').textContent())?.length ?? 0;
  await expect.poll(grown, { timeout: 60_000 }).toBeGreaterThan(10);
  const before = await grown();
  await expect.poll(grown, { timeout: 30_000 }).toBeGreaterThan(before);
  await screenshot(app, 'chat-thinking-light');

  await app.getByRole('button', { name: 'Stop' }).click();
  await expect(reply).toHaveAttribute('data-status', 'stopped', { timeout: 30_000 });
  await expect(reply.getByTestId('message-status')).toHaveText('Stopped');
  const kept = (await reply.getByTestId('thinking-text').textContent()) ?? '';
  expect(kept.length).toBeGreaterThan(10);

  await app.reload();
  const again = app.getByTestId('message-assistant').last();
  await expect(again).toHaveAttribute('data-status', 'stopped', { timeout: 30_000 });
  await expect(again.getByTestId('message-status')).toHaveText('Stopped');
  await expect(again.getByTestId('thinking-text')).not.toBeEmpty();
  // Esc stops too: a new reply in the same chat, stopped from the keyboard.
  await sendPrompt(app, 'Another one.');
  const second = app.getByTestId('message-assistant').last();
  await expect(second.getByTestId('thinking-text')).not.toBeEmpty({ timeout: 60_000 });
  await app.getByRole('textbox', { name: 'Message' }).press('Escape');
  await expect(second).toHaveAttribute('data-status', 'stopped', { timeout: 30_000 });
});

test('kill -9 of the engine mid-stream: the reply shows the error, keeps its text, and the engine comes back', async ({ app, callApi }) => {
  test.setTimeout(240_000);
  await openChat(app);
  await app.keyboard.press('Control+n');
  await pickModel(app, RAMBLER);
  await setSettings(app, { 'Max new tokens': '32768' });
  await sendPrompt(app, 'Think for a long time.');
  const reply = app.getByTestId('message-assistant').last();
  await expect.poll(async () => ((await reply.getByTestId('thinking-text').textContent()) ?? '').length, { timeout: 60_000 }).toBeGreaterThan(10);

  const status = await callApi('engine.status');
  process.kill(status.pid!, 'SIGKILL');

  await expect(reply).toHaveAttribute('data-status', 'error', { timeout: 30_000 });
  await expect(reply.getByTestId('message-status')).toHaveText('Error');
  await expect(reply.getByTestId('message-error')).toContainText(/engine|SIGKILL/i);
  await expect(reply.getByTestId('thinking-text')).not.toBeEmpty();
  await expect(reply.getByRole('button', { name: 'Retry' })).toBeVisible();
  await expect(app.getByTestId('engine-status')).toContainText('Engine ready', { timeout: 60_000 });
  await screenshot(app, 'chat-crash-light');

  // The restarted engine answers: the scripted model replies in the same chat.
  await pickModel(app, SCRIPTED);
  await setSettings(app, { Temperature: '0', 'Max new tokens': '' });
  await sendPrompt(app, 'And now?');
  const next = app.getByTestId('message-assistant').last();
  await expect(next).toHaveAttribute('data-status', 'complete', { timeout: 120_000 });
  await expect(next.getByTestId('answer')).toHaveText('The answer is 4.');
  // The failed reply is still there, with its text.
  await app.reload();
  await expect(app.locator('[data-testid="message-assistant"][data-status="error"]')).toHaveCount(1, { timeout: 30_000 });
});

test('Ctrl+N starts a new chat; deleting a chat asks first', async ({ app }) => {
  test.setTimeout(120_000);
  await openChat(app);
  await app.keyboard.press('Control+n');
  await expect(app.getByRole('heading', { name: 'New chat' })).toBeVisible();
  await pickModel(app, SCRIPTED);
  await setSettings(app, { Temperature: '0' });
  await sendPrompt(app, 'Delete me later');
  await expect(app.getByTestId('message-assistant').last()).toHaveAttribute('data-status', 'complete', { timeout: 120_000 });
  const row = app.getByTestId('chat-row').filter({ hasText: 'Delete me later' });
  await expect(row).toHaveCount(1);

  await row.hover();
  await row.getByRole('button', { name: 'Delete Delete me later' }).click();
  await expect(row).toContainText('Delete “Delete me later”?');
  await row.getByRole('button', { name: 'Cancel' }).click();
  await row.hover();
  await row.getByRole('button', { name: 'Delete Delete me later' }).click();
  await row.getByRole('button', { name: 'Delete', exact: true }).click();
  await expect(app.getByTestId('chat-row').filter({ hasText: 'Delete me later' })).toHaveCount(0);
  await expect(app.getByTestId('message-user').filter({ hasText: 'Delete me later' })).toHaveCount(0);
});

test('a corrupt model gives a clear error: refused when added, and when it breaks after being added', async ({ app, server }) => {
  test.setTimeout(180_000);
  const folders = buildChatModels();
  const broken = copyModelFolder(folders.scripted, server, 'broken-before-add');
  truncateWeights(broken);
  await app.keyboard.press('Control+3');
  await app.getByRole('textbox', { name: 'Model folder' }).fill(broken);
  await app.getByRole('button', { name: 'Add model' }).click();
  await expect(app.getByTestId('add-model-error')).toContainText('Weight file truncated');
  await expect(app.getByTestId('add-model-error')).toContainText('Re-convert or re-download the model');

  const later = copyModelFolder(folders.scripted, server, 'broken-after-add');
  await serverCall(server, 'models.add', { path: later, name: 'Damaged later' });
  truncateWeights(later);
  expect(fs.existsSync(later)).toBe(true);
  await app.reload();
  const row = app.getByTestId('model-row').filter({ hasText: 'Damaged later' });
  await row.getByRole('button', { name: 'Load' }).click();
  await expect(row.getByTestId('model-error')).toContainText('Weight file truncated', { timeout: 60_000 });
  await screenshot(app, 'models-error-light');

  // The chat says the same when a message is sent to it.
  await openChat(app);
  await app.keyboard.press('Control+n');
  await app.getByRole('combobox').first().selectOption({ label: 'Damaged later' });
  await expect(app.getByTestId('model-error')).toContainText('Weight file truncated', { timeout: 60_000 });
});

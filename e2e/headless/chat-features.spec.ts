import { expect, test } from '../support/fixtures';
import { forgetModelsAndChats, openChat, pickModel, screenshot, sendPrompt, setSettings } from './chat-helpers';
import { addFeatureModels, MODEL_NAMES } from './feature-helpers';

test.describe.configure({ mode: 'serial' });

test.beforeAll(async ({ server }) => {
  test.setTimeout(360_000);
  await addFeatureModels(server);
});

test.afterAll(async ({ server }) => {
  await forgetModelsAndChats(server);
});

test('regenerate and edit-and-resend keep versions; search finds a word inside an old answer; export and instructions', async ({ app, callApi }) => {
  test.setTimeout(300_000);
  await app.reload(); // the models were added after the page opened
  await openChat(app);
  await pickModel(app, MODEL_NAMES.pelican);
  await setSettings(app, { Temperature: '0' });
  await sendPrompt(app, 'How many pelicans?');
  const reply = app.getByTestId('message-assistant').last();
  await expect(reply).toHaveAttribute('data-status', 'complete', { timeout: 120_000 });
  await expect(reply.getByTestId('answer')).toContainText('The pelican count is');

  // Regenerate with another model: a new sample beside the old one, ‹ 2/2 ›, and the old one a click away.
  await pickModel(app, MODEL_NAMES.five);
  await reply.getByRole('button', { name: 'Regenerate' }).click();
  await expect(app.getByTestId('message-assistant')).toHaveCount(1);
  const second = app.getByTestId('message-assistant').last();
  await expect(second.getByTestId('answer')).toHaveText(/So it is\W*5/, { timeout: 120_000 });
  await expect(second.getByTestId('version-position')).toHaveText('2/2');
  await second.getByRole('button', { name: 'Previous version' }).click();
  await expect(app.getByTestId('message-assistant').last().getByTestId('answer')).toContainText('The pelican count is');
  await expect(app.getByTestId('message-assistant').last().getByTestId('version-position')).toHaveText('1/2');
  await app.getByTestId('message-assistant').last().getByRole('button', { name: 'Next version' }).click();
  await expect(app.getByTestId('message-assistant').last().getByTestId('answer')).toHaveText(/So it is\W*5/);

  // Edit-and-resend: the question gets a second version with its own reply; the old branch stays as version 1.
  const question = app.getByTestId('message-user').last();
  await question.getByRole('button', { name: 'Edit' }).click();
  await question.getByRole('textbox', { name: 'Edit message' }).fill('How many pelicans, really?');
  await question.getByRole('button', { name: 'Save & send' }).click();
  await expect(app.getByTestId('message-user')).toHaveCount(1);
  await expect(app.getByTestId('message-user').last()).toContainText('How many pelicans, really?');
  await expect(app.getByTestId('message-user').last().getByTestId('version-position')).toHaveText('2/2');
  await expect(app.getByTestId('message-assistant').last()).toHaveAttribute('data-status', 'complete', { timeout: 120_000 });
  await expect(app.getByTestId('message-assistant').last().getByTestId('version-position')).toHaveCount(0);
  await screenshot(app, 'chat-versions-light');

  // The first answer ("pelican count") is two versions away now: search finds it and opens that version.
  await app.getByRole('searchbox', { name: 'Search chats' }).fill('pelican count');
  const hit = app.getByTestId('search-hit').filter({ hasText: 'Reply' });
  await expect(hit).toHaveCount(1);
  await expect(hit.locator('mark').first()).toHaveText('pelican');
  await hit.click();
  await expect(app.getByTestId('message-user').last()).toHaveText(/^How many pelicans\?/);
  await expect(app.getByTestId('message-assistant').last().getByTestId('answer')).toContainText('The pelican count is');
  await app.getByRole('searchbox', { name: 'Search chats' }).fill('');
  await expect(app.getByTestId('chat-list')).toBeVisible();

  // Copy puts the answer on the clipboard.
  await app.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await app.getByTestId('message-assistant').last().getByRole('button', { name: 'Copy ▾' }).click();
  await app.getByRole('menuitem', { name: 'Copy answer' }).click();
  await expect.poll(() => app.evaluate('navigator.clipboard.readText()')).toBe('The pelican count is \\boxed{4}.');

  // Export as Markdown: one Export menu.
  await app.getByRole('button', { name: 'Export ▾' }).click();
  const download = app.waitForEvent('download');
  await app.getByRole('menuitem', { name: 'Markdown (.md)' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toBe('how-many-pelicans.md');
  await app.getByRole('button', { name: 'Export ▾' }).click();
  const traces = app.waitForEvent('download');
  await app.getByRole('menuitem', { name: 'Traces for fine-tuning (.jsonl)' }).click();
  expect((await traces).suggestedFilename()).toBe('how-many-pelicans.jsonl');

  // The Math preset goes into the chat's instructions.
  await app.getByRole('button', { name: 'Instructions' }).click();
  await app.getByRole('button', { name: 'Math preset' }).click();
  await app.getByRole('dialog', { name: 'Chat instructions' }).getByRole('button', { name: 'Save' }).click();
  await expect(app.getByTestId('instructions-summary')).toContainText('Please reason step by');
  const chats = await callApi('chats.list');
  expect(chats.find((c) => c.title === 'How many pelicans?')?.instructions).toBe(
    'Please reason step by step, and put your final answer within \\boxed{}.',
  );

  // Delete the reply on screen: the other version of the question's reply takes its place.
  const before = await app.getByTestId('message-assistant').last().getByTestId('answer').textContent();
  expect(before).toContain('pelican');
  await app.getByTestId('message-assistant').last().getByRole('button', { name: 'Delete' }).click();
  await app.getByRole('group', { name: 'Confirm delete' }).getByRole('button', { name: 'Delete' }).click();
  await expect(app.getByTestId('message-assistant').last().getByTestId('answer')).toHaveText(/So it is\W*5/);
  await expect(app.getByTestId('message-assistant').last().getByTestId('version-position')).toHaveCount(0);
});

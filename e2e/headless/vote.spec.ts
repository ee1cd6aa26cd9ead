import { expect, test } from '../support/fixtures';
import { openChat, pickModel, screenshot, sendPrompt, setSettings } from './chat-helpers';
import { MODEL_NAMES, useFeatureModels } from './feature-helpers';

useFeatureModels();

test('a vote of 5 samples on a chat reply shows the histogram, the majority and each trace; Compare votes per side', async ({ app }) => {
  test.setTimeout(300_000);
  await app.reload(); // the models were added after the page opened
  await openChat(app);
  await pickModel(app, MODEL_NAMES.four);
  await setSettings(app, { Temperature: '0' });
  await sendPrompt(app, 'Eight halves?');
  const reply = app.getByTestId('message-assistant').last();
  await expect(reply).toHaveAttribute('data-status', 'complete', { timeout: 120_000 });

  // Greedy decoding would give five copies of one sample: the vote says so instead of running.
  await reply.getByRole('textbox', { name: 'Samples' }).fill('5');
  await reply.getByRole('button', { name: 'Vote', exact: true }).click();
  await expect(reply.locator('.inline-error')).toContainText('temperature above 0');

  await setSettings(app, { Temperature: '0.6' });
  await reply.getByRole('button', { name: 'Vote', exact: true }).click();
  const result = reply.getByTestId('vote-result');
  await expect(result).toContainText('Vote · 5/5 samples', { timeout: 180_000 });
  await expect(result.getByTestId('vote-bar')).toHaveCount(1);
  await expect(result.getByTestId('vote-bar')).toContainText('\\frac{8}{2}');
  await expect(result.getByTestId('vote-bar')).toContainText('5');
  await expect(result.getByTestId('vote-majority')).toHaveText('Majority \\frac{8}{2} · 5/5 (100%)');
  const samples = result.getByTestId('vote-sample');
  await expect(samples).toHaveCount(5);
  await samples.nth(2).locator('summary').click();
  await expect(samples.nth(2)).toContainText('Eight halves.');
  await expect(samples.nth(2).locator('summary')).toContainText('answer \\frac{8}{2}');
  await screenshot(app, 'vote-light');

  // The vote is saved with the reply: it is there after a reload.
  await app.reload();
  await expect(app.getByTestId('message-assistant').last().getByTestId('vote-majority')).toContainText('5/5', { timeout: 30_000 });

  // Compare: each side has its own vote.
  await app.keyboard.press('Control+2');
  const left = app.getByTestId('compare-left');
  const right = app.getByTestId('compare-right');
  await left.getByRole('combobox').selectOption({ label: MODEL_NAMES.pelican });
  await right.getByRole('combobox').selectOption({ label: MODEL_NAMES.five });
  await sendPrompt(app, 'Birds?');
  const rightReply = right.getByTestId('message-assistant').last();
  await expect(rightReply).toHaveAttribute('data-status', 'complete', { timeout: 120_000 });
  await expect(left.getByTestId('message-assistant').last()).toHaveAttribute('data-status', 'complete', { timeout: 120_000 });
  await rightReply.getByRole('textbox', { name: 'Samples' }).fill('2');
  await rightReply.getByRole('button', { name: 'Vote', exact: true }).click();
  await expect(rightReply.getByTestId('vote-majority')).toHaveText('Majority 5 · 2/2 (100%)', { timeout: 120_000 });
  await expect(left.getByTestId('vote-result')).toHaveCount(0);
});

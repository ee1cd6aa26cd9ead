import { expect, reloadApp, test } from '../support/fixtures';
import { screenshot, sendPrompt, setSettings } from './chat-helpers';
import { MODEL_NAMES, useFeatureModels } from './feature-helpers';

useFeatureModels();

test('the verdict says whether the boxed answers agree and checks them against the expected answer; one side re-runs with another model', async ({ app }) => {
  test.setTimeout(300_000);
  await reloadApp(app); // the models were added after the page opened
  await app.keyboard.press('Control+2');
  const left = app.getByTestId('compare-left');
  const right = app.getByTestId('compare-right');
  await left.getByRole('combobox').selectOption({ label: MODEL_NAMES.pelican });
  await right.getByRole('combobox').selectOption({ label: MODEL_NAMES.four });
  await expect(left.getByTestId('model-state')).toContainText('cpu', { timeout: 60_000 });
  await expect(right.getByTestId('model-state')).toContainText('cpu', { timeout: 60_000 });
  await setSettings(app, { Temperature: '0' });
  await app.getByRole('textbox', { name: 'Expected answer' }).fill('4');
  await sendPrompt(app, 'Count the pelicans');

  // \boxed{4} and \boxed{\dfrac{8}{2}} agree once normalised, and both match the expected 4.
  const verdict = app.getByTestId('verdict');
  await expect(verdict.getByTestId('verdict-agreement')).toHaveText('Answers agree', { timeout: 120_000 });
  await expect(verdict.getByTestId('verdict-left-answer')).toContainText('4');
  await expect(verdict.getByTestId('verdict-right-answer')).toContainText('\\frac{8}{2}');
  await expect(verdict.getByTestId('verdict-left-mark')).toHaveText('✓');
  await expect(verdict.getByTestId('verdict-right-mark')).toHaveText('✓');
  await expect(verdict).toContainText('Thinking tokens');
  await expect(verdict.getByTestId('verdict-left')).toContainText(/\d+\.\d/);
  await screenshot(app, 'compare-verdict-light');
  await app.emulateMedia({ colorScheme: 'dark' });
  await screenshot(app, 'compare-verdict-dark');
  await app.emulateMedia({ colorScheme: 'light' });

  // No "New comparison" needed to change a model: pick another for B and re-run that side alone.
  await right.getByRole('combobox').selectOption({ label: MODEL_NAMES.five });
  await right.getByRole('button', { name: 'Re-run' }).click();
  await expect(right.getByTestId('message-assistant').last().getByTestId('version-position')).toHaveText('2/2', { timeout: 120_000 });
  await expect(right.getByTestId('message-assistant').last()).toHaveAttribute('data-status', 'complete', { timeout: 120_000 });
  await expect(verdict.getByTestId('verdict-agreement')).toHaveText('Answers differ');
  await expect(verdict.getByTestId('verdict-right-answer')).toContainText('5');
  await expect(verdict.getByTestId('verdict-right-mark')).toHaveText('✗');
  await expect(verdict.getByTestId('verdict-left-mark')).toHaveText('✓');
  await expect(left.getByTestId('message-assistant')).toHaveCount(1); // A was not run again

  // The comparison is saved: a new one starts empty, and the saved one reopens with its expected answer.
  await app.getByRole('button', { name: 'New comparison' }).click();
  await expect(app.getByTestId('verdict')).toHaveCount(0);
  await expect(app.getByRole('textbox', { name: 'Expected answer' })).toHaveValue('');
  await app.getByRole('combobox', { name: 'Saved comparisons' }).selectOption({ label: 'Count the pelicans' });
  await expect(app.getByRole('textbox', { name: 'Expected answer' })).toHaveValue('4');
  await expect(app.getByTestId('verdict').getByTestId('verdict-agreement')).toHaveText('Answers differ', { timeout: 30_000 });
  await expect(right.getByRole('combobox')).toHaveValue(/.+/);
});

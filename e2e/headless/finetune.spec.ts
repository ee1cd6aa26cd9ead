/**
 * The Fine-tune screen end to end: a trace folder with broken records → the import report's counts and problems →
 * a Quick run on a tiny model whose progress, tokens/s and loss chart move → cancel → resume → finish with an
 * evaluation → merge → Compare opens with the base and the fine-tuned model and the validation question.
 * The tiny checkpoint and the trace folder are built in a tsx child process.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { Job } from '../../electron/contract/api';
import { expect, test } from '../support/fixtures';
import { repoRoot, serverCall } from '../support/server';
import { forgetModelsAndChats } from './chat-helpers';

interface Counts { accepted: number; repaired: number; skipped: number; duplicates: number; examples: number; byFormat: Record<string, number> }

interface Fixtures {
  hfDir: string;
  traces: string;
  /** The importer's expected report with the field mapping `map` (the mixed folder names some fields its own way). */
  expected: Counts;
  map: string;
}

function buildFixtures(home: string): Fixtures {
  const script = `
const { makeTinyModel } = await import('./electron/testing/fixtures.ts');
const { writeMixedTraceFolder } = await import('./electron/testing/trace-fixtures.ts');
const hfDir = (await makeTinyModel({ arch: 'qwen2', seed: 11, hidden: 32, layers: 1, heads: 2, kvHeads: 1, intermediate: 64 })).hfDir;
const traces = ${JSON.stringify(path.join(home, 'traces'))};
const { expectedWithMap, map } = await writeMixedTraceFolder(traces);
process.stdout.write(JSON.stringify({ hfDir, traces, expected: expectedWithMap, map }) + '\\n');
`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: repoRoot, encoding: 'utf8', timeout: 300_000, stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.trim().split('\n').pop()!) as Fixtures;
}

test.describe.configure({ mode: 'serial' });

let fixtures: Fixtures;
let baseModelId: string;

test.beforeAll(async ({ server }) => {
  test.setTimeout(300_000);
  fixtures = buildFixtures(server.home);
  // The base is registered the way a user gets one: converted from its Hugging Face checkpoint.
  const job = await serverCall(server, 'jobs.startConvert', { hfDir: fixtures.hfDir, dtype: 'fp32', name: 'Tiny base' });
  let state: Job | undefined;
  for (let i = 0; i < 600 && (!state || ['queued', 'running'].includes(state.state)); i++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    state = (await serverCall(server, 'jobs.list')).find((j) => j.id === job.id);
  }
  expect(state?.state).toBe('succeeded');
  baseModelId = (await serverCall(server, 'models.list')).find((m) => m.name === 'Tiny base')!.id;
});

test.afterAll(async ({ server }) => {
  await forgetModelsAndChats(server);
});

test('traces → report → Quick run → cancel → resume → evaluation → merge → Compare', async ({ app }) => {
  test.setTimeout(240_000);
  await app.keyboard.press('Control+4');
  const setup = app.getByTestId('finetune-setup');
  await expect(setup.getByRole('combobox', { name: 'Base model' })).toHaveValue(baseModelId);
  await setup.getByRole('textbox', { name: 'Trace folder' }).fill(fixtures.traces);
  await setup.getByRole('textbox', { name: 'Field mapping' }).fill(fixtures.map);
  await setup.getByRole('button', { name: 'Check traces' }).click();

  // Every format of the folder, its broken records named with file:line, every count as the fixture expects.
  const report = app.getByTestId('import-report');
  for (const count of ['accepted', 'repaired', 'skipped', 'duplicates', 'examples'] as const) {
    await expect(report.getByTestId(`count-${count}`)).toContainText(new RegExp(`^${fixtures.expected[count]}\\D`));
  }
  for (const [format, count] of Object.entries(fixtures.expected.byFormat)) {
    await expect(report.getByTestId(`format-${format}`)).toContainText(String(count));
  }
  await expect(report.getByTestId('problems')).toContainText(/openai\.jsonl:\d+ broken JSON/);
  await expect(report.getByTestId('problems').locator('li')).toHaveCount(fixtures.expected.skipped);
  await expect(report.getByTestId('token-histogram')).toBeVisible();
  await expect(report.getByTestId('over-max-length')).toContainText('max length');
  await expect(report.getByTestId('token-preview')).toBeVisible();

  const form = app.getByTestId('hyper-form');
  await form.getByRole('radio', { name: 'Quick' }).click();
  // Quick, made small enough for a tiny model on a shared CPU: short rows, two records a step; three epochs so an idle
  // machine is still training when Cancel lands (with one it finished first).
  for (const [label, value] of [['Max length', '96'], ['Accumulation', '2'], ['Epochs', '3'], ['Learning rate', '0.005']] as const) {
    await form.getByRole('textbox', { name: label, exact: true }).fill(value);
  }
  await form.getByRole('combobox', { name: 'Base precision' }).selectOption('fp32');
  await form.getByText('Samples and evaluation').click();
  for (const [label, value] of [['Evaluation questions', '1'], ['Max new tokens', '2'], ['Sample every N steps', '4']] as const) {
    await form.getByRole('textbox', { name: label }).fill(value);
  }
  await form.getByRole('button', { name: 'Estimate' }).click();
  await expect(form.getByTestId('estimate')).toContainText(/Needs about .* available; \d+ steps in about/, { timeout: 60_000 });
  await form.getByRole('button', { name: 'Start training' }).click();

  const run = app.getByTestId('run-panel');
  await expect(run.getByTestId('run-state')).toHaveText('Training', { timeout: 30_000 });
  await expect(run.getByTestId('loss-chart')).toHaveAttribute('data-points', /^([3-9]|\d\d+)$/, { timeout: 60_000 });
  await expect(run.getByTestId('tokens-per-second')).toHaveText(/^\d+ tokens\/s$/);
  const stepBeforeCancel = Number((await run.getByTestId('run-step').textContent())!.match(/step (\d+)/)![1]);
  expect(stepBeforeCancel).toBeGreaterThan(0);

  await run.getByRole('button', { name: 'Cancel' }).click();
  await expect(run.getByTestId('run-state')).toHaveText('Cancelled', { timeout: 30_000 });
  await run.getByRole('button', { name: 'Resume' }).click();
  await expect(run.getByTestId('run-state')).toHaveText('Training', { timeout: 30_000 });
  await expect(run.getByTestId('run-state')).toHaveText('Completed', { timeout: 120_000 });
  await expect(run.getByTestId('samples')).toBeVisible();

  const finish = run.getByTestId('finish-panel');
  await expect(finish.getByTestId('loss-before')).toHaveText(/^\d+\.\d{4}$/);
  await expect(finish.getByTestId('loss-after')).toHaveText(/^\d+\.\d{4}$/);
  await finish.getByRole('button', { name: 'Merge into a model' }).click();
  await expect(finish.getByTestId('merge-job')).toHaveAttribute('data-state', 'succeeded', { timeout: 120_000 });
  await finish.getByRole('button', { name: 'Open in Compare' }).click();

  await expect(app).toHaveURL(/#\/compare\?/);
  await expect(app.getByTestId('compare-left').getByRole('combobox', { name: 'A' })).toHaveValue(baseModelId);
  const right = app.getByTestId('compare-right').getByRole('combobox', { name: 'B' });
  await expect(right.locator('option:checked')).toContainText('Tiny base ·');
  await expect(app.getByRole('textbox').last()).toHaveValue(/^What is \d+ \+ \d+\?/);
});

/**
 * A fine-tuning run survives the app itself being killed: `distillery serve` is SIGKILLed mid-run (no shutdown code
 * runs, its engines exit when their channel closes), a new server opens the same data folder, the Fine-tune screen
 * reopens the run as Interrupted, and Resume continues it from its last checkpoint to the end — every step once, the
 * steps before the kill kept as they were.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import type { Job } from '../../electron/contract/api';
import type { RunDetail } from '../../electron/contract/finetune';
import { repoRoot, serverCall, startServer, type ServerHandle } from '../support/server';

function buildFixtures(home: string): { hfDir: string; traces: string } {
  const script = `
const { makeTinyModel } = await import('./electron/testing/fixtures.ts');
const { writeFinetuneTraceFolder } = await import('./electron/testing/finetune-traces.ts');
const hfDir = (await makeTinyModel({ arch: 'qwen2', seed: 11, hidden: 32, layers: 1, heads: 2, kvHeads: 1, intermediate: 64 })).hfDir;
const { folder } = writeFinetuneTraceFolder(${JSON.stringify(path.join(home, 'traces'))});
process.stdout.write(JSON.stringify({ hfDir, traces: folder }) + '\\n');
`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: repoRoot, encoding: 'utf8', timeout: 300_000, stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.trim().split('\n').pop()!) as { hfDir: string; traces: string };
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value).slice(0, 500)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

let home: string;
const servers: ServerHandle[] = [];

test.beforeAll(() => {
  home = mkdtempSync(path.join(os.tmpdir(), 'distillery-e2e-restart-'));
});

test.afterAll(async () => {
  for (const server of servers) await server.stop();
  rmSync(home, { recursive: true, force: true });
});

test('a run interrupted by killing the app resumes after a restart from its last checkpoint', async ({ page }) => {
  test.setTimeout(300_000);
  const fixtures = buildFixtures(home);
  const first = await startServer({ home });
  servers.push(first);
  const convert = await serverCall(first, 'jobs.startConvert', { hfDir: fixtures.hfDir, dtype: 'fp32', name: 'Tiny base' });
  await until(async () => (await serverCall(first, 'jobs.list')).find((j: Job) => j.id === convert.id)!, (j) => j.state === 'succeeded', 'the base conversion');
  const modelId = (await serverCall(first, 'models.list')).find((m) => m.name === 'Tiny base')!.id;

  // 22 training records, one a step, 3 epochs: ~66 steps, a checkpoint every 4
  const run = await serverCall(first, 'finetune.start', {
    modelId, dataFolder: fixtures.traces, name: 'restart',
    hyper: { rank: 2, alpha: 4, targets: ['q_proj', 'v_proj'], lr: 5e-3, epochs: 3, maxLength: 96, batch: 1, accumulation: 1, precision: 'fp32' },
    valFraction: 0.1, seed: 4, caps: { evalQuestions: 1, maxNewTokens: 2, sampleEvery: 0 },
  });
  const detail = (server: ServerHandle) => serverCall(server, 'finetune.run', { runId: run.id });
  const beforeKill = await until(() => detail(first), (d: RunDetail) => d.step >= 10, 'ten steps');
  await first.kill();

  const second = await startServer({ home });
  servers.push(second);
  const reopened = await detail(second);
  expect(reopened.state).toBe('interrupted');
  // what was saved before the kill is still there, step for step
  const kept = reopened.metrics.filter((m) => m.step <= beforeKill.step);
  expect(kept.map((m) => m.step)).toEqual(beforeKill.metrics.map((m) => m.step));
  kept.forEach((m, i) => expect(m.loss).toBe(beforeKill.metrics[i].loss));

  await page.goto(second.url);
  await expect(page.getByTestId('engine-status')).toContainText('Engine ready', { timeout: 60_000 });
  await page.keyboard.press('Control+4');
  const panel = page.getByTestId('run-panel');
  await expect(panel.getByTestId('run-state')).toHaveText('Interrupted', { timeout: 30_000 });
  await panel.getByRole('button', { name: 'Resume' }).click();
  await expect(panel.getByTestId('run-state')).toHaveText('Completed', { timeout: 180_000 });

  const done = await detail(second);
  expect(done.metrics.map((m) => m.step)).toEqual(Array.from({ length: done.totalSteps }, (_, i) => i + 1));
  expect(done.metrics.length).toBeGreaterThan(beforeKill.step);
  // the steps re-run from the checkpoint give the losses they gave before the kill (same data, seed and state)
  done.metrics.slice(0, kept.length).forEach((m, i) => expect(m.loss).toBeCloseTo(kept[i].loss, 5));
  expect(done.evaluation).toMatchObject({ lossBefore: expect.any(Number), lossAfter: expect.any(Number) });
});

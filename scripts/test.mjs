#!/usr/bin/env node
// The README's test command: type-check, lint, unit/integration tests (vitest), build, then the e2e suite
// (Playwright: headless mode in Chromium; Electron specs where the binary exists). Ends with one summary line
// `N passed, N failed, N skipped` so CI can read the outcome.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';

const tmp = '.tmp/test-results';
rmSync(tmp, { recursive: true, force: true });
mkdirSync(tmp, { recursive: true });

const totals = { passed: 0, failed: 0, skipped: 0 };
const failures = [];

function step(name, cmd, args, env = {}) {
  const started = Date.now();
  console.log(`\n=== ${name}: ${cmd} ${args.join(' ')}`);
  const result = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`=== ${name} finished in ${seconds}s with exit code ${result.status}`);
  return result.status === 0;
}

// CI shows only the tail of the log: a file that failed outside its tests (a hook, an import) is named there too.
const fileProblems = [];

function countVitest(file) {
  if (!existsSync(file)) return false;
  const report = JSON.parse(readFileSync(file, 'utf8'));
  totals.passed += report.numPassedTests;
  totals.failed += report.numFailedTests;
  totals.skipped += report.numPendingTests + report.numTodoTests;
  for (const result of report.testResults ?? []) {
    // No test is skipped on purpose: a file whose tests are all pending had its worker exit under it (a crash, a kill).
    const pending = (result.assertionResults ?? []).filter((test) => test.status === 'pending' || test.status === 'skipped');
    if (result.status !== 'failed' && pending.length > 0) {
      fileProblems.push(`${result.name}\n  ${pending.length} tests did not run (did its worker exit? see "Errors" above): ${pending.map((test) => test.fullName).join('; ')}`);
      totals.failed += 1;
      continue;
    }
    if (result.status !== 'failed') continue;
    const failedTests = (result.assertionResults ?? []).filter((test) => test.status === 'failed');
    const firstLine = (text) => String(text ?? '').split('\n').find((line) => line.trim()) ?? '';
    const why = failedTests.length
      ? failedTests.map((test) => `  ${test.fullName}: ${firstLine(test.failureMessages?.[0])}`).join('\n')
      : `  no test failed, a hook or the file itself did: ${firstLine(result.message) || 'see its error above'}; skipped: ${pending.map((test) => test.fullName).join('; ')}`;
    fileProblems.push(`${result.name}\n${why}`);
    if (!failedTests.length) totals.failed += 1;
  }
  return true;
}

function countPlaywright(file) {
  if (!existsSync(file)) return false;
  const { stats } = JSON.parse(readFileSync(file, 'utf8'));
  totals.passed += stats.expected + stats.flaky;
  totals.failed += stats.unexpected;
  totals.skipped += stats.skipped;
  return true;
}

// Static checks count as one test each, so a type error or lint error turns the summary red.
for (const [name, args] of [
  ['typecheck', ['run', 'typecheck']],
  ['lint', ['run', 'lint']],
]) {
  if (step(name, 'npm', args)) totals.passed += 1;
  else { totals.failed += 1; failures.push(name); }
}

const vitestJson = `${tmp}/vitest.json`;
const vitestOk = step('unit', 'npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile=${vitestJson}`]);
if (!countVitest(vitestJson)) { totals.failed += 1; failures.push('vitest produced no report'); }
else if (!vitestOk) failures.push('vitest');

if (step('build', 'npm', ['run', 'build'])) {
  const playwrightJson = `${tmp}/playwright.json`;
  const e2eOk = step('e2e', 'npx', ['playwright', 'test', '--reporter=list,json'], { PLAYWRIGHT_JSON_OUTPUT_NAME: playwrightJson });
  if (!countPlaywright(playwrightJson)) { totals.failed += 1; failures.push('playwright produced no report'); }
  else if (!e2eOk) failures.push('e2e');
} else {
  totals.failed += 1;
  failures.push('build');
}

if (fileProblems.length) console.log(`\nFailed test files:\n${fileProblems.join('\n')}`);
if (failures.length) console.log(`\nFailed steps: ${failures.join(', ')}`);
console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(totals.failed === 0 && failures.length === 0 ? 0 : 1);

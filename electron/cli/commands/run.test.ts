// `distillery models add|list` and `distillery run --json` end to end, as a user runs them.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scriptedOnnxModel } from '../../testing/model-folders';

const exec = promisify(execFile);
const BIN = path.resolve(__dirname, '..', '..', '..', 'bin', 'distillery.mjs');
let home: string;
let modelDir: string;

function cli(...args: string[]) {
  return exec(process.execPath, [BIN, ...args], { env: { ...process.env, DISTILLERY_HOME: home }, timeout: 240_000 });
}

beforeAll(async () => {
  modelDir = await scriptedOnnxModel();
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-cli-'));
}, 600_000);
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

describe('distillery models / run', () => {
  it('adds a model, lists it as JSON, and runs a prompt printing {reasoning, answer, stats}', async () => {
    const added = await cli('models', 'add', modelDir, '--name', 'scripted');
    expect(added.stdout).toMatch(/^Added scripted \(.+\): fp32/);
    const list = JSON.parse((await cli('models', 'list', '--json')).stdout) as { name: string; dtypes: string[] }[];
    expect(list).toMatchObject([{ name: 'scripted', dtypes: ['fp32'] }]);
    const run = await cli('run', 'scripted', 'What is 2+2?', '--temperature', '0', '--json');
    const out = JSON.parse(run.stdout) as { reasoning: string; answer: string; stats: Record<string, unknown> };
    expect(out.reasoning).toBe('Let me add.');
    expect(out.answer).toBe('The answer is \\boxed{4}.');
    expect(out.stats).toMatchObject({ provider: 'cpu', dtype: 'fp32', finishReason: 'stop', thinkingTokens: 5 });
  });

  it('prints the thinking then the answer, and clear errors for bad input', async () => {
    const run = await cli('run', 'scripted', 'hi', '--temperature', '0', '--max-tokens', '64');
    expect(run.stdout).toBe('Let me add.\n\nThe answer is \\boxed{4}.\n');
    expect(run.stderr).toMatch(/\[cpu\/fp32\] 5 thinking tokens/);
    await expect(cli('run', 'nope', 'hi')).rejects.toMatchObject({ stderr: expect.stringMatching(/No model "nope"/) });
    await expect(cli('run', 'scripted', 'hi', '--seed', 'x')).rejects.toMatchObject({ stderr: expect.stringMatching(/--seed must be/) });
    const broken = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-cli-broken-'));
    await expect(cli('models', 'add', broken)).rejects.toMatchObject({ stderr: expect.stringMatching(/config\.json is missing/) });
    fs.rmSync(broken, { recursive: true, force: true });
  });
});

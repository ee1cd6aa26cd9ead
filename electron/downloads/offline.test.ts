/**
 * After a download nothing touches the network: every process of this test (the CLI and the engine it forks) runs
 * with a guard that refuses every non-loopback connection and logs each attempt (NODE_OPTIONS, so children inherit
 * it). The model is pulled from the hub emulator (loopback), then a chat and a fine-tune step run: zero attempts.
 * A positive control proves the guard sees and counts a real attempt.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tsxExecArgv } from '../engine/entry';
import { makeScriptedModel } from '../testing/fixtures';
import { startHubEmulator, type HubEmulator } from '../testing/hub-emulator';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(root, 'bin', 'distillery.mjs');
const REPO = 'deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B';

let hub: HubEmulator;
let home: string;
let guardLog: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  const { hfDir } = await makeScriptedModel();
  hub = await startHubEmulator();
  hub.addRepoFromFolder(REPO, hfDir);
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-offline-'));
  guardLog = path.join(home, 'net-attempts.log');
  fs.writeFileSync(guardLog, '');
  const preload = pathToFileURL(path.join(root, 'electron', 'testing', 'net-guard-preload.ts')).href;
  env = {
    ...process.env,
    DISTILLERY_HOME: path.join(home, 'data'),
    HF_HUB_CACHE: path.join(home, 'hf-cache'),
    HF_ENDPOINT: hub.url,
    DISTILLERY_NET_GUARD_LOG: guardLog,
    NODE_OPTIONS: `${tsxExecArgv().join(' ')} --import ${preload}`,
  };
}, 300_000);

afterAll(async () => {
  await hub?.close();
  fs.rmSync(home, { recursive: true, force: true });
});

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, args, { env, cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

const attempts = () => fs.readFileSync(guardLog, 'utf8').split('\n').filter(Boolean);

describe('offline after download', () => {
  it('pulls, then chats and runs a fine-tune step with zero non-loopback connection attempts (engine included)', async () => {
    const pulled = await run([bin, 'pull', REPO, '--dtype', 'q4']);
    expect(pulled.stderr).toContain('added to your models');
    expect(pulled.code).toBe(0);

    const chat = await run([bin, 'run', `${REPO.split('/')[1]} q4`, 'What is 2 + 2?', '--temperature', '0', '--max-tokens', '40', '--json']);
    expect(chat.code, chat.stderr).toBe(0);
    expect((JSON.parse(chat.stdout) as { answer: string }).answer).toContain('\\boxed{4}');

    const snapshot = path.join(home, 'hf-cache', 'models--deepseek-ai--DeepSeek-R1-Distill-Qwen-1.5B', 'snapshots', hub.repos.get(REPO)!.commit);
    const data = path.join(home, 'traces.jsonl');
    fs.writeFileSync(data, `${JSON.stringify({ question: 'What is 2 + 2?', reasoning: 'Add them.', answer: '\\boxed{4}' })}\n`.repeat(4));
    const train = await run([bin, 'train', 'run', '--model', snapshot, '--data', data, '--out', path.join(home, 'run'), '--max-steps', '1', '--seq', '64', '--accum', '1', '--rank', '2', '--warmup', '0', '--val-fraction', '0', '--checkpoint-every', '1']);
    expect(train.code, train.stderr).toBe(0);

    expect(attempts()).toEqual([]);
    // The guard ran in the engine processes too, not only in the CLI.
    const guarded = fs.readFileSync(`${guardLog}.pids`, 'utf8');
    expect(guarded.split('\n').some((line) => /engine(\.js|[\\/]main\.ts)$/.test(line)), guarded).toBe(true);
  }, 600_000);

  it('the guard counts a real attempt (positive control)', async () => {
    const probe = await run(['--input-type=module', '-e', "await fetch('http://198.51.100.7:8080/').catch((e) => process.stdout.write(String(e.cause?.message ?? e.message)));"]);
    expect(probe.stdout).toContain('Distillery is offline');
    expect(attempts()).toHaveLength(1);
    expect(attempts()[0]).toMatch(/^\d+ 198\.51\.100\.7:8080$/);
  }, 120_000);
});

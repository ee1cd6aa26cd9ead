/**
 * `distillery pull` and `distillery fit` as a user runs them (child processes against the hub emulator): a progress
 * line per 10 %, Ctrl+C pauses, running it again resumes from the bytes on disk; fit prints every precision's verdict.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatedBytes, startHubEmulator, type HubEmulator } from '../../testing/hub-emulator';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const bin = path.join(root, 'bin', 'distillery.mjs');
const REPO = 'someone/cli-model';
const WEIGHTS = generatedBytes(3_000_000, 11);

let hub: HubEmulator;
let home: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  hub = await startHubEmulator();
  hub.addRepo(REPO, { 'config.json': '{}', 'model.safetensors': WEIGHTS });
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-pull-'));
  env = { ...process.env, DISTILLERY_HOME: path.join(home, 'data'), HF_HUB_CACHE: path.join(home, 'cache'), HF_ENDPOINT: hub.url };
});

afterAll(async () => {
  await hub.close();
  fs.rmSync(home, { recursive: true, force: true });
});

function run(args: string[], onOutput?: (text: string, child: ReturnType<typeof spawn>) => void) {
  const child = spawn(process.execPath, [bin, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    onOutput?.(output, child);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  return new Promise<{ code: number | null; output: string }>((resolve) => child.once('exit', (code) => resolve({ code, output })));
}

describe('distillery pull', () => {
  it('shows progress, pauses on Ctrl+C, and resumes from the bytes on disk when run again', async () => {
    hub.addFault({ target: 'model.safetensors', bytesPerSecond: 500_000 });
    let interrupted = false;
    const first = await run(['pull', REPO, '--no-convert'], (text, child) => {
      if (!interrupted && / [2-9]\d% {2}/.test(text)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    expect(first.output).toMatch(/ {2}0% {2}0 B\/2\.9 MiB/);
    expect(first.output).toContain(`Paused. Run \`distillery pull ${REPO}\` again to continue where it stopped.`);
    expect(first.code).toBe(1);
    const blobs = path.join(home, 'cache', 'models--someone--cli-model', 'blobs');
    const partial = fs.readdirSync(blobs).find((n) => n.endsWith('.incomplete'))!;
    const kept = fs.statSync(path.join(blobs, partial)).size;
    expect(kept).toBeGreaterThan(0);

    hub.requests.length = 0;
    const second = await run(['pull', REPO, '--no-convert']);
    expect(second.output).toContain(`Resuming the download of ${REPO}`);
    expect(second.output).toContain('Downloaded: 2 files verified');
    expect(second.code).toBe(0);
    const resumed = hub.requests.find((r) => r.server === 'storage' && r.range && r.range !== 'bytes=0-0');
    expect(resumed?.range).toBe(`bytes=${kept}-${WEIGHTS.length - 1}`);
    const sha = createHash('sha256').update(WEIGHTS).digest('hex');
    expect(createHash('sha256').update(fs.readFileSync(path.join(blobs, sha))).digest('hex')).toBe(sha);
  }, 120_000);

  it('fit prints each distill with a verdict per precision, and JSON with --json', async () => {
    const text = await run(['fit', 'deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B']);
    expect(text.code).toBe(0);
    expect(text.output).toMatch(/DeepSeek-R1-Distill-Qwen-1\.5B \(1\.8B, context 8192\) — recommended: (q4|fp16|q4f16)/);
    expect(text.output).toMatch(/q4 +(GPU|CPU only|will not fit) +memory/);
    const json = await run(['fit', '--json', '--context', '4096']);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.output.slice(json.output.indexOf('{'))) as { items: { id: string; fitContext: number; fits: unknown[] }[] };
    expect(parsed.items.map((i) => i.id)).toEqual(['qwen-1.5b', 'qwen-7b', 'qwen-14b', 'qwen-32b', 'llama-8b', 'llama-70b']);
    expect(parsed.items.every((i) => i.fits.length === 4 && i.fitContext === 4096)).toBe(true);
  }, 120_000);
});

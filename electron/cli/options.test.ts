// `train run` refuses bad options with one line naming the option, before any model or data is read.
import { mkdirSync, mkdtempSync, rmSync, truncateSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TrainHyperparameters } from '../contract/train-options';
import { writeTinyCheckpoint } from '../testing/factory';
import { runCli } from './index';

const dir = mkdtempSync(join(tmpdir(), 'distillery-cli-options-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const model = join(dir, 'model');
const data = join(dir, 'traces.jsonl');
beforeAll(() => {
  writeTinyCheckpoint(model, { arch: 'qwen2', hidden: 32, layers: 1, heads: 4, kvHeads: 2, intermediate: 48 });
  writeFileSync(data, JSON.stringify({ question: 'q', reasoning: 'r', answer: 'a' }) + '\n');
});

/** Exit code and stderr of `distillery train run` with the given flags (defaults: a good model, data and out). */
async function trainRun(flags: Record<string, string>): Promise<{ code: number; stderr: string }> {
  const args = Object.entries({ '--model': model, '--data': data, '--out': join(dir, 'out'), ...flags }).flat();
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    const code = await runCli(['node', 'distillery', 'train', 'run', ...args]);
    return { code, stderr: stderr.mock.calls.map((c) => String(c[0])).join('') };
  } finally {
    stderr.mockRestore();
    stdout.mockRestore();
  }
}

describe('train run options', () => {
  it.each([
    [{ '--warmup': 'abc' }, 'Error: --warmup must be a number (got "abc").'],
    [{ '--warmup': '-5' }, 'Error: --warmup must be at least 0 (got "-5").'],
    [{ '--seed': 'abc' }, 'Error: --seed must be a number (got "abc").'],
    [{ '--seed': '1.5' }, 'Error: --seed must be a whole number (got "1.5").'],
    [{ '--val-fraction': '2' }, 'Error: --val-fraction must be at most 0.5 (got "2").'],
    [{ '--lr': '' }, 'Error: --lr must be a number (got "").'],
    [{ '--dtype': 'int8' }, 'Error: --dtype must be fp32, fp16 or q4 (got "int8").'],
  ])('%o → one line naming the option', async (flags, line) => {
    const run = await trainRun(flags);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`${line}\n`);
  });

  it('a missing --data path or a folder without trace files is named', async () => {
    const missing = await trainRun({ '--data': join(dir, 'nope') });
    expect(missing).toEqual({ code: 1, stderr: `Error: --data ${join(dir, 'nope')} does not exist: give a traces file (.jsonl) or a folder of them.\n` });
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    writeFileSync(join(empty, 'notes.pdf'), 'no traces here');
    const none = await trainRun({ '--data': empty });
    expect(none).toEqual({ code: 1, stderr: `Error: --data ${empty} holds no trace files (.jsonl, .ndjson, .json, .parquet, .md, .markdown, .txt): put the traces there or point at the file.\n` });
  });

  it('a truncated --model shard is named, without a stack trace', async () => {
    const cut = join(dir, 'cut');
    writeTinyCheckpoint(cut, { arch: 'qwen2', hidden: 32, layers: 1, heads: 4, kvHeads: 2, intermediate: 48 });
    const shard = join(cut, 'model.safetensors');
    truncateSync(shard, statSync(shard).size - 100);
    const run = await trainRun({ '--model': cut });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^Error: --model .*model\.safetensors: tensor ".*" ends at byte \d+.*truncated.*\n$/);
    expect(run.stderr.split('\n')).toHaveLength(2);
  });

  it('the CLI and the API share one schema', () => {
    expect(TrainHyperparameters.shape.warmup.safeParse(-5).success).toBe(false);
    expect(TrainHyperparameters.shape.valFraction.safeParse(0.05).success).toBe(true);
  });
});

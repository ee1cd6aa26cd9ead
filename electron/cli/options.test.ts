// Every command refuses a bad option value with one line naming the option, the rule and the value, before it reads
// a model, starts the engine or touches the database; `train run` also checks its paths up front.
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

/** Exit code and stderr of `distillery <args>`. */
async function cli(args: string[]): Promise<{ code: number; stderr: string }> {
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    const code = await runCli(['node', 'distillery', ...args]);
    return { code, stderr: stderr.mock.calls.map((c) => String(c[0])).join('') };
  } finally {
    stderr.mockRestore();
    stdout.mockRestore();
  }
}

/** Exit code and stderr of `distillery train run` with the given flags (defaults: a good model, data and out). */
function trainRun(flags: Record<string, string>): Promise<{ code: number; stderr: string }> {
  return cli(['train', 'run', ...Object.entries({ '--model': model, '--data': data, '--out': join(dir, 'out'), ...flags }).flat()]);
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

describe('every command checks its options with the API\'s schemas', () => {
  const PROVIDERS = 'must be auto, cuda, dml, coreml, webgpu or cpu';
  it.each([
    [['run', 'm', 'hi', '--max-tokens', 'abc'], '--max-tokens must be a number (got "abc").'],
    [['run', 'm', 'hi', '--max-tokens', '0'], '--max-tokens must be at least 1 (got "0").'],
    [['run', 'm', 'hi', '--max-tokens', '40000'], '--max-tokens must be at most 32768 (got "40000").'],
    [['run', 'm', 'hi', '--temperature', '-1'], '--temperature must be at least 0 (got "-1").'],
    [['run', 'm', 'hi', '--top-p', '0'], '--top-p must be greater than 0 (got "0").'],
    [['run', 'm', 'hi', '--seed', '1.5'], '--seed must be a whole number (got "1.5").'],
    [['run', 'm', 'hi', '--thinking-budget', '-3'], '--thinking-budget must be at least 0 (got "-3").'],
    [['run', 'm', 'hi', '--provider', 'tpu'], `--provider ${PROVIDERS} (got "tpu").`],
    [['run', 'm', 'hi', '--threads', '0'], '--threads must be at least 1 (leave it out for one thread per physical core) (got "0").'],
    [['chat', 'm', '--temperature', 'hot'], '--temperature must be a number (got "hot").'],
    [['serve', '--port', '99999'], '--port must be a whole number from 0 to 65535 (got "99999").'],
    [['serve', '--port', '80.5'], '--port must be a whole number from 0 to 65535 (got "80.5").'],
    [['serve', '--threads', '1000'], '--threads must be at most 256 (got "1000").'],
    [['convert', 'a', 'b', '--dtype', 'int3'], '--dtype must be fp32, fp16, q4 or q4f16 (got "int3").'],
    [['convert', 'a', 'b', '--dtype', 'q4', '--block-size', '48'], '--block-size must be a power of two (16, 32, 64, 128, …) (got "48").'],
    [['convert', 'a', 'b', '--dtype', 'q4', '--block-size', '8'], '--block-size must be at least 16 (got "8").'],
    [['convert', 'a', 'b', '--accuracy-level', '7'], '--accuracy-level must be at most 4 (got "7").'],
    [['pull', 'org/repo', '--dtype', 'int8'], '--dtype must be fp32, fp16, q4 or q4f16 (got "int8").'],
    [['fit', '--context', '100'], '--context must be at least 256 (got "100").'],
    [['fit', '--context', '4k'], '--context must be a number (got "4k").'],
    [['traces', 'check', 'folder', '--max-length', '5'], '--max-length must be at least 16 (got "5").'],
    [['train', 'export-graph', '--model', 'm', '--out', 'o', '--rank', '0'], '--rank must be at least 1 (got "0").'],
    [['train', 'export-graph', '--model', 'm', '--out', 'o', '--alpha', '-2'], '--alpha must be greater than 0 (got "-2").'],
    [['train', 'export-graph', '--model', 'm', '--out', 'o', '--dtype', 'int8'], '--dtype must be fp32, fp16 or q4 (got "int8").'],
    [['train', 'merge', '--model', 'm', '--adapter', 'a', '--out', 'o', '--dtype', 'q8'], '--dtype must be fp32, fp16, q4 or q4f16 (got "q8").'],
  ])('%j → one line naming the option', async (args, line) => {
    const run = await cli(args);
    expect(run).toEqual({ code: 1, stderr: `Error: ${line}\n` });
  });

  it('good values pass through as numbers and choices', async () => {
    const { addGenerationOptions, addThreadsOption, generationOptions } = await import('./generation-options');
    const { Command } = await import('commander');
    const command = addThreadsOption(addGenerationOptions(new Command('run')), 'threads').exitOverride();
    command.parse(['--max-tokens', '512', '--temperature', '0', '--top-p', '0.95', '--seed', '7', '--provider', 'cpu', '--threads', '4'], { from: 'user' });
    const options = command.opts();
    expect(generationOptions(options)).toEqual({ maxNewTokens: 512, temperature: 0, topP: 0.95, seed: 7, thinkingBudget: undefined });
    expect(options).toMatchObject({ provider: 'cpu', threads: 4 });
  });
});

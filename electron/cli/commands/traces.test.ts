/** `distillery traces check|convert` and `train run --data <trace folder>` through the real CLI entry. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../index';
import { CanonicalTrace, TraceReport } from '../../traces';
import { writeTinyCheckpoint } from '../../testing/factory';
import { writeRemappedR1Tokenizer } from '../../testing/remapped-tokenizer';
import { writeMixedTraceFolder } from '../../testing/trace-fixtures';

const dir = mkdtempSync(join(tmpdir(), 'distillery-traces-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const exitCode = process.exitCode;
  try {
    const code = await runCli(['node', 'distillery', ...args]);
    return { code, out: stdout.mock.calls.map((c) => String(c[0])).join(''), err: stderr.mock.calls.map((c) => String(c[0])).join('') };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
    process.exitCode = exitCode;
  }
}

describe('distillery traces', () => {
  it('check prints the report (text and --json) with the counts the folder was written for', async () => {
    const folder = join(dir, 'mixed');
    const { expected, expectedWithMap, map } = await writeMixedTraceFolder(folder);
    const text = await cli('traces', 'check', folder);
    expect(text.code, text.err).toBe(0);
    expect(text.out).toContain(`12 files, ${expected.records} records: ${expected.accepted} accepted, ${expected.repaired} repaired, ${expected.duplicates} duplicates, ${expected.skipped} skipped → ${expected.examples} training examples`);
    expect(text.out).toMatch(/^ {2}chat\/openai\.jsonl:7: unclosed thought \(truncated generation\)$/m);
    expect(text.out).toMatch(/^ {2}openr1\/openr1-math\.parquet row 1: no generation verified correct/m);
    const json = await cli('traces', 'check', folder, '--json', '--map', map);
    const report = TraceReport.parse(JSON.parse(json.out));
    expect(report).toMatchObject({ accepted: expectedWithMap.accepted, skipped: expectedWithMap.skipped, byFormat: expectedWithMap.byFormat });
  });

  it('convert writes canonical JSONL; bad flags and empty folders give errors that say what to do', async () => {
    const out = join(dir, 'data.jsonl');
    const result = await cli('traces', 'convert', join(dir, 'mixed'), '--out', out);
    expect(result.code, result.err).toBe(0);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(result.out).toContain(`Wrote ${lines.length} traces to ${out}`);
    for (const line of lines) CanonicalTrace.parse(JSON.parse(line));
    expect((await cli('traces', 'check', join(dir, 'mixed'), '--map', 'question')).err).toMatch(/--map takes question=<field>/);
    expect((await cli('traces', 'check', join(dir, 'mixed'), '--max-length', '100')).err).toMatch(/--max-length counts tokens: give the model with --model/);
    expect((await cli('traces', 'check', join(dir, 'nope'))).err).toMatch(/does not exist: give a folder of trace files/);
  });
});

describe('distillery train run --data <trace folder>', () => {
  it('imports the folder into the run folder with the model tokenizer, then trains (Llama-shaped, markers on unusual ids)', async () => {
    const model = join(dir, 'tiny-llama');
    writeTinyCheckpoint(model, { arch: 'llama', hidden: 16, layers: 1, heads: 2, kvHeads: 1, intermediate: 24 });
    writeRemappedR1Tokenizer(model, 'llama', { '<｜User｜>': 128250, '<｜Assistant｜>': 128100, '<think>': 128203, '</think>': 128077 });
    const run = join(dir, 'run');
    const result = await cli('train', 'run', '--model', model, '--data', join(dir, 'mixed'), '--out', run, '--rank', '2', '--targets', 'q_proj',
      '--max-steps', '1', '--seq', '128', '--batch', '1', '--accum', '1', '--val-fraction', '0');
    expect(result.code, result.out + result.err).toBe(0);
    expect(result.out).toMatch(/12 files, 32 records: .*training examples/);
    expect(result.out).toMatch(/Length \(tokens\): median \d+/);
    expect(result.out).toContain(`Imported ${join(dir, 'mixed')} → ${join(run, 'imported-traces.jsonl')}`);
    expect(result.out).toMatch(/step 1\/1 +loss \d/);
    expect(existsSync(join(run, 'adapter', 'adapter_model.safetensors'))).toBe(true);
  }, 180_000);
});

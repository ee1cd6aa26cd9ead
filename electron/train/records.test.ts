// Huge trace records are cut before tokenizing, and every line is counted; files of any size stream.
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTinyModel } from '../testing/fixtures';
import { loadTraceRecords } from './records';
import { loadTrainingTokenizer, type TrainingTokenizer } from './tokenize';

const dir = mkdtempSync(join(tmpdir(), 'distillery-records-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let tokenizer: TrainingTokenizer;
beforeAll(async () => {
  tokenizer = await loadTrainingTokenizer((await makeTinyModel({ arch: 'qwen2', seed: 3 })).hfDir);
}, 120_000);

const trace = (i: number) => JSON.stringify({ question: `What is ${i} + ${i}?`, reasoning: `${i} plus ${i}.`, answer: `${2 * i}` });

describe('loadTraceRecords', () => {
  it('cuts a multi-megabyte record before tokenizing, and counts it as truncated', async () => {
    const file = join(dir, 'long-line.jsonl');
    const huge = 'step by step, '.repeat(Math.ceil((9 * 1000 * 1000) / 14)); // under the 10 MB record limit
    writeFileSync(file, `${trace(1)}\n${JSON.stringify({ question: 'Why?', reasoning: huge, answer: 'Because.' })}\n`);
    const loaded = await loadTraceRecords(file, tokenizer, 64);
    expect(loaded.records).toHaveLength(2);
    // Tokenized whole it would be ~2 million ids; cut first, it is what a 64-token row can use and a margin.
    expect(loaded.records[1].inputIds.length).toBeGreaterThan(64);
    expect(loaded.records[1].inputIds.length).toBeLessThan(64 * 256);
    expect(loaded.truncated.count).toBe(1);
  }, 60_000);

  it('streams a file over 512 MB (a JavaScript string cannot hold it) and skips the oversized line', async () => {
    const file = join(dir, 'big.jsonl');
    writeFileSync(file, `${trace(1)}\n${trace(2)}\n`);
    // Sparse: 600 MB of zero bytes after the two traces, one giant line, no disk used.
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.from('\n'), 0, 1, 600 * 1024 * 1024);
    closeSync(fd);
    expect(statSync(file).size).toBeGreaterThan(512 * 1024 * 1024);
    const loaded = await loadTraceRecords(file, tokenizer, 64);
    expect(loaded.records).toHaveLength(2);
    expect(loaded.skipped).toHaveLength(1);
    expect(loaded.skipped[0].line).toBe(3);
  }, 120_000);
});

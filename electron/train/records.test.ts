// Trace files of any size are streamed line by line; huge lines are cut before tokenizing; every line is counted.
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTraceRecords, MAX_LINE_BYTES } from './records';

const dir = mkdtempSync(join(tmpdir(), 'distillery-records-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const trace = (i: number) => JSON.stringify({ question: `What is ${i} + ${i}?`, reasoning: `${i} plus ${i}.`, answer: `${2 * i}` });

describe('loadTraceRecords', () => {
  it('reads BOM, CRLF and bad lines with their numbers', () => {
    const file = join(dir, 'small.jsonl');
    writeFileSync(file, `\uFEFF${trace(1)}\r\n{broken\r\n\r\n${trace(2)}`);
    const loaded = loadTraceRecords(file, 'qwen2', 64);
    expect(loaded.records).toHaveLength(2);
    expect(loaded.skipped).toEqual([{ line: 2, reason: 'not valid JSON' }]);
  });

  it('cuts a 10 MB line before tokenizing, and counts it as truncated', () => {
    const file = join(dir, 'long-line.jsonl');
    const huge = 'step by step, '.repeat(Math.ceil((10 * 1024 * 1024) / 14));
    writeFileSync(file, `${trace(1)}\n${JSON.stringify({ question: 'Why?', reasoning: huge, answer: 'Because.' })}\n`);
    const loaded = loadTraceRecords(file, 'qwen2', 64);
    expect(loaded.records).toHaveLength(2);
    // All of it tokenized would be ~2.2 million ids; cut first, it is what a 64-token row can use and a margin.
    expect(loaded.records[1].inputIds.length).toBeGreaterThan(64);
    expect(loaded.records[1].inputIds.length).toBeLessThan(64 * 256);
    expect(loaded.truncated.count).toBe(1);
  });

  it('streams a file over 512 MB (a JavaScript string cannot hold it) and skips a line over the limit', () => {
    const file = join(dir, 'big.jsonl');
    writeFileSync(file, `${trace(1)}\n${trace(2)}\n`);
    // Sparse: 600 MB of zero bytes after the two traces, one giant line, no disk used.
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.from('\n'), 0, 1, 600 * 1024 * 1024);
    closeSync(fd);
    expect(statSync(file).size).toBeGreaterThan(512 * 1024 * 1024);
    const loaded = loadTraceRecords(file, 'qwen2', 64);
    expect(loaded.records).toHaveLength(2);
    expect(loaded.skipped).toEqual([{ line: 3, reason: `longer than ${MAX_LINE_BYTES / 1024 / 1024} MB` }]);
  }, 60_000);
});

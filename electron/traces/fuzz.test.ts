/**
 * Import fuzz: 12,000 records in every JSON shape of the trace table, most of them mutated (truncated, wrong types,
 * nested junk, invalid UTF-8, byte flips, huge lines), plus broken Parquet rows and Markdown blocks. The import never throws, counts every record exactly once,
 * and never drops an intact record: each one is in the output (or is the exact duplicate of one that is).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../util/prng';
import { writeParquet } from '../testing/parquet-writer';
import { CanonicalTrace, importTraces } from './index';

const RECORDS = 12_000;
const MAX_RECORD_BYTES = 64 * 1024;

const dir = mkdtempSync(join(tmpdir(), 'distillery-traces-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Rec = Record<string, unknown>;

/** A valid record of each shape; `id` makes its question unique. */
const SHAPES: ((id: string, r: () => number) => Rec)[] = [
  (id) => ({ question: `Q ${id}`, reasoning: `thinking about ${id}`, answer: `A ${id}` }),
  (id) => ({ messages: [{ role: 'user', content: `Q ${id}` }, { role: 'assistant', content: `<think>\nwhy ${id}\n</think>\n\nA ${id}` }] }),
  (id) => ({ messages: [{ role: 'user', content: `Q ${id}` }, { role: 'assistant', content: `A ${id}`, reasoning_content: `r ${id}` }], num_tokens: 10, source: 'fuzz' }),
  (id) => ({ conversations: [{ from: 'user', value: `Q ${id}` }, { from: 'assistant', value: `<|begin_of_thought|>\n\nt ${id}\n\n<|end_of_thought|>\n\n<|begin_of_solution|>\n\nA ${id}\n\n<|end_of_solution|>` }] }),
  (id) => ({ problem: `Q ${id}`, generations: [`<think>a ${id}</think> A`, `<think>b ${id}</think> B`], correctness_math_verify: [true, false] }),
  (id) => ({ question: `Q ${id}`, deepseek_thinking_trajectory: `t ${id}`, deepseek_attempt: `A ${id}` }),
  (id) => ({ question: `Q ${id}`, thinking_trajectories: [`t ${id}`], attempt: `A ${id}`, metadata: "{'k': None}" }),
  (id) => ({ question: `Q ${id}`, solution: `long solution ${id}`, answer: `${id}` }),
  (id) => ({ request: { messages: [{ role: 'user', content: `Q ${id}` }] }, choices: [{ message: { content: `A ${id}`, reasoning_content: `r ${id}` } }] }),
  // near the size limit but under it: must still be read
  (id, r) => ({ question: `Q ${id}`, reasoning: 'long '.repeat(Math.floor(r() * 12_000)), answer: `A ${id}` }),
];

function nestedJunk(r: () => number): unknown {
  const depth = 1 + Math.floor(r() * 3000);
  let value: unknown = r() < 0.5 ? 'x' : 1;
  for (let i = 0; i < depth; i++) value = r() < 0.5 ? [value] : { k: value };
  return value;
}

const WRONG: ((r: () => number) => unknown)[] = [() => 42, () => null, () => true, () => ['a', 'b'], () => ({ text: 'x' }), nestedJunk, () => ''];

function mutateValue(value: unknown, r: () => number): unknown {
  if (Array.isArray(value)) return value.length && r() < 0.7 ? value.map((v, i) => (i === Math.floor(r() * value.length) ? mutateValue(v, r) : v)) : WRONG[Math.floor(r() * WRONG.length)](r);
  if (value && typeof value === 'object') {
    const keys = Object.keys(value);
    const key = keys[Math.floor(r() * keys.length)];
    const copy: Rec = { ...(value as Rec) };
    if (r() < 0.2) delete copy[key];
    else copy[key] = r() < 0.5 ? mutateValue(copy[key], r) : WRONG[Math.floor(r() * WRONG.length)](r);
    return copy;
  }
  if (typeof value === 'string' && r() < 0.5) return value.slice(0, Math.floor(r() * value.length)); // truncated text
  return WRONG[Math.floor(r() * WRONG.length)](r);
}

const INVALID_UTF8 = [[0xff], [0xc3], [0x80], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]];

function mutateBytes(line: Buffer, r: () => number): Buffer {
  const at = Math.floor(r() * line.length);
  const kind = Math.floor(r() * 4);
  if (kind === 0) return line.subarray(0, at); // truncated line
  if (kind === 1) return Buffer.concat([line.subarray(0, at), Buffer.from(INVALID_UTF8[Math.floor(r() * INVALID_UTF8.length)]), line.subarray(at)]);
  if (kind === 2) {
    const copy = Buffer.from(line);
    copy[at] = Math.floor(r() * 256) === 10 ? 11 : Math.floor(r() * 256); // a flipped byte (never a newline)
    if (copy[at] === 10) copy[at] = 32;
    return copy;
  }
  return Buffer.concat([line, Buffer.from(` ${'x'.repeat(MAX_RECORD_BYTES + Math.floor(r() * MAX_RECORD_BYTES))}`)]); // huge line
}

interface Written {
  lines: Buffer[];
  /** ids whose record is intact (must reach the output). */
  intact: Set<string>;
}

function generate(seed: number, count: number): Written {
  const r = mulberry32(seed);
  const out: Written = { lines: [], intact: new Set() };
  const intactLines: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const id = `s${seed}-${i}`;
    const roll = r();
    if (roll < 0.05 && intactLines.length) {
      out.lines.push(intactLines[Math.floor(r() * intactLines.length)]); // exact duplicate
      continue;
    }
    const record = SHAPES[Math.floor(r() * SHAPES.length)](id, r);
    if (roll < 0.35) {
      const line = Buffer.from(JSON.stringify(record));
      out.lines.push(line);
      intactLines.push(line);
      out.intact.add(id);
    } else if (roll < 0.65) out.lines.push(Buffer.from(JSON.stringify(mutateValue(record, r))));
    else out.lines.push(mutateBytes(Buffer.from(JSON.stringify(record)), r));
  }
  return out;
}

const isBlank = (line: Buffer) => line.toString('latin1').trim() === '';

/** OpenR1-shaped Parquet rows: intact, or with nulls, empty/short lists, truncated generations, bytes that are not UTF-8. */
function parquetRows(seed: number, count: number): { rows: Rec[]; intact: Set<string> } {
  const r = mulberry32(seed);
  const intact = new Set<string>();
  const rows = Array.from({ length: count }, (_, i): Rec => {
    const id = `p${seed}-${i}`;
    const row: Rec = { problem: `Q ${id}`, generations: [`<think>a ${id}</think> A`, `<think>b ${id}</think> B`], correctness_math_verify: [true, false] };
    const roll = r();
    if (roll < 0.4) intact.add(id);
    else if (roll < 0.5) row.problem = null;
    else if (roll < 0.6) row.generations = [];
    else if (roll < 0.65) row.correctness_math_verify = null;
    else if (roll < 0.7) row.correctness_math_verify = [false];
    else if (roll < 0.8) row.generations = [`<think>cut ${id}`, null];
    else if (roll < 0.9) row.problem = Uint8Array.from([0x51, 0xc3, 0x28]);
    else row.generations = [Uint8Array.from([0x3c, 0xff]), 'x</think>'];
    return row;
  });
  return { rows, intact };
}

/** Markdown blocks: intact, truncated anywhere, or with a tag removed. */
function markdownBlocks(seed: number, count: number): { text: string; intact: Set<string> } {
  const r = mulberry32(seed);
  const intact = new Set<string>();
  const blocks = Array.from({ length: count }, (_, i) => {
    const id = `m${seed}-${i}`;
    const block = `Question: Q ${id}\n\n<think>\nreasoning ${id}\n</think>\n\nAnswer: A ${id}\n`;
    const roll = r();
    if (roll < 0.4) {
      intact.add(id);
      return block;
    }
    if (roll < 0.7) return `${block.slice(0, 1 + Math.floor(r() * (block.length - 1)))}\n`; // never empty: an empty block is no record
    return block.replace(r() < 0.5 ? '<think>' : '</think>', '');
  });
  return { text: blocks.join('---\n'), intact };
}

describe('import fuzz', () => {
  it(`counts every one of ${RECORDS.toLocaleString('en-US')} mutated JSON records once and drops no intact record`, async () => {
    const folder = join(dir, 'in');
    mkdirSync(folder);
    const jsonl = generate(1, RECORDS - 2000);
    const crlf = Buffer.from('\r\n');
    writeFileSync(join(folder, 'a.jsonl'), Buffer.concat(jsonl.lines.flatMap((l, i) => [l, i % 7 === 0 ? crlf : Buffer.from('\n')])));
    // a JSON array whose elements are mutated the same ways (the streaming scanner must survive them)
    const array = generate(2, 2000);
    writeFileSync(join(folder, 'b.json'), Buffer.concat([Buffer.from('[\n'), ...array.lines.flatMap((l, i) => [l, Buffer.from(i + 1 < array.lines.length ? ',\n' : '\n')]), Buffer.from(']\n')]));

    // JSON Lines alone: exactly one record per non-blank line
    const alone = await importTraces([join(folder, 'a.jsonl')], join(dir, 'a-out.jsonl'), { maxRecordBytes: MAX_RECORD_BYTES });
    expect(alone.records).toBe(jsonl.lines.filter((l) => !isBlank(l)).length);
    expect(alone.accepted + alone.repaired + alone.duplicates + alone.skipped).toBe(alone.records);

    const out = join(dir, 'out.jsonl');
    const report = await importTraces([folder], out, { maxRecordBytes: MAX_RECORD_BYTES });
    expect(report.files).toBe(2);
    expect(report.records).toBeGreaterThanOrEqual(alone.records + 1900); // broken bytes may merge or split array elements
    checkCounts(report, out, [...jsonl.intact, ...array.intact]);
    for (const reason of ['broken JSON', 'not UTF-8', 'record longer than the size limit', 'a field is not text']) {
      expect(report.skipReasons[reason], reason).toBeGreaterThan(0);
    }
    expect(report.duplicates).toBeGreaterThan(0);
  }, 300_000);

  it('Parquet rows and Markdown blocks with broken fields: every one counted, every intact one kept', async () => {
    const folder = join(dir, 'in-2');
    mkdirSync(folder);
    const parquet = parquetRows(3, 1500);
    writeParquet(join(folder, 'r1.parquet'), [{ name: 'problem', kind: 'string' }, { name: 'generations', kind: 'list', item: 'string' }, { name: 'correctness_math_verify', kind: 'list', item: 'bool' }], parquet.rows, 200);
    const markdown = markdownBlocks(4, 600);
    writeFileSync(join(folder, 'notes.md'), markdown.text);
    const rows = await importTraces([join(folder, 'r1.parquet')], join(dir, 'rows.jsonl'));
    expect(rows.records).toBe(1500);
    checkCounts(rows, join(dir, 'rows.jsonl'), [...parquet.intact]);
    const out = join(dir, 'out-2.jsonl');
    const report = await importTraces([folder], out);
    // a `---` followed by a fragment with no question and no thought is read as a rule inside the trace before it
    expect(report.records - 1500).toBeLessThanOrEqual(600);
    expect(report.records - 1500).toBeGreaterThan(markdown.intact.size);
    checkCounts(report, out, [...parquet.intact, ...markdown.intact]);
    expect(report.skipReasons['not UTF-8']).toBeGreaterThan(0);
    expect(report.skipReasons['unclosed thought (truncated generation)']).toBeGreaterThan(0);
  }, 300_000);
});

function checkCounts(report: Awaited<ReturnType<typeof importTraces>>, out: string, intact: string[]): void {
  expect(report.accepted + report.repaired + report.duplicates + report.skipped).toBe(report.records);
  expect(Object.values(report.skipReasons).reduce((a, b) => a + b, 0)).toBe(report.skipped);
  expect(report.problems.length + report.problemsOmitted).toBe(report.skipped);
  const traces = readFileSync(out, 'utf8').trimEnd().split('\n').map((l) => CanonicalTrace.parse(JSON.parse(l)));
  expect(traces).toHaveLength(report.examples);
  const questions = new Set(traces.map((t) => t.question));
  expect(intact.filter((id) => !questions.has(`Q ${id}`))).toEqual([]);
  // records that reached the output are exactly the used ones
  const usedRecords = new Set(traces.map((t) => `${t.source.file}:${t.source.line}:${t.source.row}`));
  expect(usedRecords.size).toBe(report.accepted + report.repaired);
}

/** The importer over real files: the mixed-format folder, containers' edge cases, output, progress and cancel. */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeParquet } from '../testing/parquet-writer';
import { writeMixedTraceFolder } from '../testing/trace-fixtures';
import { CanonicalTrace, checkTraces, importTraces, parseFieldMap, TraceReport } from './index';

const root = mkdtempSync(join(tmpdir(), 'distillery-traces-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const folder = (files: Record<string, string | Buffer>): string => {
  const dir = join(root, `case-${n++}`);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
};
const plain = (i: number) => JSON.stringify({ question: `Q${i}`, reasoning: `R${i}`, answer: `A${i}` });
const counts = ({ problems: _p, tokens: _t, problemsOmitted: _o, ...rest }: TraceReport) => rest;

describe('the mixed-format folder', () => {
  it('reports exactly the counts its records were written for, with and without a field map', async () => {
    const dir = join(root, 'mixed');
    const { expected, expectedWithMap, map } = await writeMixedTraceFolder(dir);
    const report = await checkTraces([dir]);
    expect(TraceReport.parse(report)).toEqual(report);
    expect(counts(report)).toEqual(expected);
    expect(counts(await checkTraces([dir], { map: parseFieldMap(map) }))).toEqual(expectedWithMap);
    expect(report.problems).toContainEqual({ file: 'chat/openai.jsonl', line: 7, reason: 'unclosed thought (truncated generation)' });
    expect(report.problems).toContainEqual({ file: 'openr1/openr1-math.parquet', row: 1, reason: 'no generation verified correct (correctness_math_verify)' });
    expect(report.problems).toContainEqual({ file: 'plain/plain.jsonl', line: 3, reason: 'not UTF-8' });
    expect(report.problems.length).toBe(report.skipped);
  });

  it('writes one canonical, schema-valid line per example, with its source', async () => {
    const dir = join(root, 'mixed');
    const out = join(root, 'mixed.jsonl');
    const report = await importTraces([dir], out);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n').map((l) => CanonicalTrace.parse(JSON.parse(l)));
    expect(lines).toHaveLength(report.examples);
    expect(lines).toContainEqual({ question: 'What is 2 + 3?', reasoning: 'Two plus three is five.', answer: 'The answer is \\boxed{5}.', source: { file: 'chat/openai.jsonl', line: 1 } });
    expect(lines.filter((l) => l.source.file === 'openr1/openr1-math.parquet').map((l) => l.answer)).toEqual(['\\boxed{13}', 'So \\boxed{13}.']);
    expect(lines.find((l) => l.question === 'And doubled?')?.turns).toEqual([
      { role: 'system', content: 'Be brief.' }, { role: 'user', content: 'What is 1 + 1?' }, { role: 'assistant', content: '2' },
    ]);
    expect(lines.find((l) => l.question === 'What is 2 squared?')).toMatchObject({ reasoning: '2 times 2 is 4.', answer: '4', source: { row: 1 } });
    expect(lines.find((l) => l.question === 'Is 9 odd?')?.reasoning).toBe('9 = 2*4 + 1');
    expect(lines.some((l) => JSON.stringify(l).includes('\\r'))).toBe(false);
  });
});

describe('containers', () => {
  it('a JSON array streams element by element; a broken element is skipped and the rest read', async () => {
    const dir = folder({ 'a.json': `[\n${plain(1)},\n{"question": "x", "reasoning": oops},\n${plain(2)}\n]` });
    const report = await checkTraces([dir]);
    expect(counts(report)).toMatchObject({ records: 3, accepted: 2, skipped: 1 });
    expect(report.problems[0]).toMatchObject({ file: 'a.json', line: 3, row: 1, reason: expect.stringMatching(/^broken JSON/) });
  });

  it('a broken element in a pretty-printed array does not swallow the elements after it', async () => {
    const pretty = (i: number) => JSON.stringify(JSON.parse(plain(i)), null, 2).replace(/^/gm, '  ');
    const broken = pretty(2).split('\n').slice(0, 3).join('\n'); // cut after its second field
    const dir = folder({ 'pretty.json': `[\n${[pretty(1), broken, pretty(3), pretty(4)].join(',\n')}\n]\n` });
    const report = await checkTraces([dir]);
    expect(counts(report)).toMatchObject({ records: 4, accepted: 3, skipped: 1 });
    expect(report.problems).toEqual([expect.objectContaining({ line: 7, reason: expect.stringMatching(/^broken JSON/) })]);
  });

  it('a JSON object is one record, or wraps a list of records; a .json holding JSON Lines is read as lines', async () => {
    const dir = folder({
      'one.json': plain(1),
      'wrapped.json': JSON.stringify({ version: 1, data: [JSON.parse(plain(2)), JSON.parse(plain(3))] }),
      'lines.json': `${plain(4)}\n${plain(5)}\n`,
      'truncated.json': `[${plain(6)}, {"question": "cut`,
      'unclosed.json': `[${plain(7)}, ${plain(8)}\n`,
    });
    const report = await checkTraces([dir]);
    expect(counts(report)).toMatchObject({ files: 5, records: 9, accepted: 7, repaired: 1, skipped: 1, repairs: { 'missing ] at the end of the JSON array': 1 } });
    expect(report.problems).toEqual([{ file: 'truncated.json', line: 1, row: 1, reason: 'broken JSON: the array ends inside this element' }]);
  });

  it('a line over the size limit is skipped, named, without being parsed; the next line is read', async () => {
    const huge = JSON.stringify({ question: 'Q', reasoning: 'x'.repeat(11_000_000), answer: 'A' });
    const dir = folder({ 'big.jsonl': `${plain(1)}\n${huge}\n${plain(2)}\n` });
    const report = await checkTraces([dir]);
    expect(counts(report)).toMatchObject({ records: 3, accepted: 2, skipped: 1 });
    expect(report.problems[0]).toMatchObject({ line: 2, reason: expect.stringMatching(/^record longer than the size limit: 11,000,0\d\d bytes, over 10 MB/) });
  });

  it('Parquet files are read row group by row group', async () => {
    const dir = join(root, 'pq');
    mkdirSync(dir);
    const rows: Record<string, unknown>[] = Array.from({ length: 25 }, (_, i) => ({ question: `Q${i}`, reasoning: i === 7 ? null : `R${i}`, answer: `A${i}` }));
    rows[12].answer = Uint8Array.from([0x41, 0xff, 0x42]); // not UTF-8
    writeParquet(join(dir, 't.parquet'), [{ name: 'question', kind: 'string' }, { name: 'reasoning', kind: 'string' }, { name: 'answer', kind: 'string' }], rows, 4);
    writeFileSync(join(dir, 'bad.parquet'), 'PAR1 not really');
    const progress: number[] = [];
    const report = await checkTraces([dir], { onProgress: (p) => progress.push(p.bytesDone) });
    expect(counts(report)).toMatchObject({ files: 2, records: 26, accepted: 23, skipped: 3 });
    // an unreadable file counts as one skipped input; row 7 has no reasoning, so it is not the plain shape
    expect(report.problems.map((p) => [p.file, p.row])).toEqual([['bad.parquet', undefined], ['t.parquet', 7], ['t.parquet', 12]]);
    expect(report.problems[2].reason).toBe('not UTF-8');
    expect(report.problems[0].reason).toMatch(/^not a readable Parquet file/);
    expect(progress.at(-1)).toBeGreaterThan(0);
  });

  it('ignores hidden files, lists unsupported ones, and never reads its own output', async () => {
    const dir = folder({ 'a.jsonl': `${plain(1)}\n`, '.cache/b.jsonl': `${plain(2)}\n`, 'notes.csv': 'q,a\n' });
    const out = join(dir, 'data.jsonl');
    const first = await importTraces([dir], out);
    const second = await importTraces([dir], out);
    expect(counts(second)).toEqual(counts(first));
    expect(first).toMatchObject({ files: 1, records: 1, examples: 1 });
    expect(first.problems).toEqual([{ file: 'notes.csv', reason: expect.stringMatching(/^not a trace file/) }]);
  });

  it('joins a streamed response saved chunk by chunk into one record', async () => {
    const chunk = (id: string, delta: Record<string, string>, extra: Record<string, unknown> = {}, finish: string | null = null) =>
      JSON.stringify({ id, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }], ...extra });
    const dir = folder({
      'stream.jsonl': [
        chunk('a', { role: 'assistant', reasoning_content: 'Two and ' }, { messages: [{ role: 'user', content: 'What is 2 + 2?' }] }),
        chunk('a', { reasoning_content: 'two.' }),
        chunk('a', { content: 'Four' }),
        chunk('a', { content: '.' }, {}, 'stop'),
        chunk('b', { reasoning_content: 'no question kept' }),
        chunk('b', { content: 'x' }, {}, 'stop'),
        plain(1),
      ].join('\n'),
    });
    const out = join(root, 'stream.jsonl');
    const report = await importTraces([dir], out);
    expect(counts(report)).toMatchObject({ records: 3, accepted: 2, skipped: 1, byFormat: { 'deepseek-api': 2, plain: 1 } });
    expect(report.problems).toEqual([expect.objectContaining({ line: 5, reason: expect.stringMatching(/without its question/) })]);
    expect(JSON.parse(readFileSync(out, 'utf8').split('\n')[0])).toEqual({ question: 'What is 2 + 2?', reasoning: 'Two and two.', answer: 'Four.', source: { file: 'stream.jsonl', line: 1 } });
  });

  it('removes exact duplicates across files but keeps near-duplicates', async () => {
    const dir = folder({ 'a.jsonl': `${plain(1)}\n${plain(2)}\n`, 'b.jsonl': `${plain(1)}\n${JSON.stringify({ question: 'Q1', reasoning: 'R1', answer: 'A1 ' })}\n` });
    const report = await checkTraces([dir]);
    // trailing spaces are trimmed, so "A1 " is the same example
    expect(counts(report)).toMatchObject({ records: 4, accepted: 2, duplicates: 2, examples: 2 });
    const near = await checkTraces([folder({ 'a.jsonl': `${plain(1)}\n${JSON.stringify({ question: 'Q1', reasoning: 'R1.', answer: 'A1' })}\n` })]);
    expect(near.examples).toBe(2);
  });
});

describe('lengths, progress and cancel', () => {
  it('counts tokens with the given tokenizer and reports what a max length cuts', async () => {
    const dir = folder({ 'a.jsonl': [1, 2, 3].map((i) => JSON.stringify({ question: 'Q', reasoning: 'z'.repeat(i * 100), answer: 'A' })).join('\n') });
    const chars = await checkTraces([dir]);
    expect(chars.tokens.unit).toBe('characters');
    const words = { encode: (text: string) => text.split('z').map((_, i) => i) }; // one "token" per z, plus one
    const report = await checkTraces([dir], { tokenizer: words, maxLength: 150 });
    expect(report.tokens).toMatchObject({ unit: 'tokens', p50: 201, max: 301, maxLength: 150, overMaxLength: 2, cut: 51 + 151 });
    expect(report.tokens.histogram.reduce((s, b) => s + b.count, 0)).toBe(3);
    expect(report.tokens.histogram.at(-1)!.upTo).toBeGreaterThanOrEqual(301);
    expect(chars.tokens.max - chars.tokens.p50).toBe(100);
  });

  it('a cancelled import throws and leaves no output file', async () => {
    const dir = folder({ 'a.jsonl': Array.from({ length: 5000 }, (_, i) => plain(i)).join('\n') });
    const abort = new AbortController();
    const out = join(root, 'cancelled.jsonl');
    const run = importTraces([dir], out, { signal: abort.signal, onProgress: () => abort.abort() });
    abort.abort();
    await expect(run).rejects.toThrow();
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(root).filter((f) => f.startsWith('cancelled'))).toEqual([]);
  });

  it('refuses an output it cannot write, with a clear error', async () => {
    const dir = folder({ 'a.jsonl': `${plain(1)}\n` });
    await expect(importTraces([dir], join(root, 'no-such-folder', 'out.jsonl'))).rejects.toThrow(/Cannot write .*out\.jsonl: .*Choose a file in a folder you can write to/);
  });

  it('refuses an input that does not exist', async () => {
    await expect(checkTraces([join(root, 'nope')])).rejects.toThrow(/does not exist: give a folder of trace files/);
  });
});

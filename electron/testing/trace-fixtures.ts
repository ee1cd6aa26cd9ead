/**
 * A mixed-format trace folder for importer tests and the Fine-tune e2e: every format of the trace table in its usual
 * containers (JSONL, JSON array, multi-row-group Parquet, Markdown, text), with broken records of every named kind.
 * Each record is written next to the outcome it must get, and the expected report counts are summed from those
 * outcomes (the importer is never asked).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeParquet, type ParquetColumn } from './parquet-writer';

type Outcome =
  | { kind: 'accepted'; format: string; examples?: number }
  | { kind: 'repaired'; format: string; repairs: string[]; examples?: number }
  | { kind: 'duplicate'; format: string }
  | { kind: 'skipped'; format?: string; reason: string };

interface Entry {
  /** A record object, or the raw line/block text. */
  record: unknown;
  outcome: Outcome;
}

export interface ExpectedCounts {
  files: number;
  records: number;
  accepted: number;
  repaired: number;
  skipped: number;
  duplicates: number;
  examples: number;
  byFormat: Record<string, number>;
  repairs: Record<string, number>;
  skipReasons: Record<string, number>;
}

/** The field map that turns the folder's custom-named records into traces (`--map` / the UI's mapping). */
export const MIXED_FOLDER_MAP = 'question=prompt,reasoning=reason,answer=gen_ans';

const ok = (format: string, examples?: number): Outcome => ({ kind: 'accepted', format, examples });
const skip = (reason: string, format?: string): Outcome => ({ kind: 'skipped', format, reason });
const R = {
  missingThink: 'missing opening <think> added',
  crlf: 'CRLF line endings',
  bom: 'byte order mark removed',
} as const;
const S = {
  broken: 'broken JSON',
  unclosed: 'unclosed thought (truncated generation)',
  emptyAnswer: 'empty answer',
  emptyReasoning: 'empty reasoning',
  notUtf8: 'not UTF-8',
  noReasoning: 'no reasoning: no <think>…</think> block and no reasoning field',
  noVerified: 'no generation verified correct (correctness_math_verify)',
  noRequest: 'API response without its question: keep the request messages with it (or --map question=…)',
  unknown: 'unknown record shape: name its fields with --map question=…,reasoning=…,answer=…',
} as const;

const chat = (q: string, a: string, extra: Record<string, unknown> = {}) => ({ messages: [{ role: 'user', content: q }, { role: 'assistant', content: a, ...extra }] });
const firstChat = chat('What is 2 + 3?', '<think>\nTwo plus three is five.\n</think>\n\nThe answer is \\boxed{5}.');

const JSONL: Record<string, Entry[]> = {
  'chat/openai.jsonl': [
    { record: firstChat, outcome: ok('openai-chat') },
    { record: chat('Name a prime.', 'Seven.', { reasoning_content: 'Seven has no divisors but 1 and itself.' }), outcome: ok('openai-chat') },
    {
      record: { messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'What is 1 + 1?' },
        { role: 'assistant', content: '<think>one and one</think>\n\n2' },
        { role: 'user', content: 'And doubled?' },
        { role: 'assistant', content: '<think>2 times 2 is 4</think>\n\n4' },
      ] },
      outcome: ok('openai-chat'),
    },
    { record: '{"messages": [{"role": "user", "content": "cut off', outcome: skip(S.broken) },
    { record: chat('What is 3 * 3?', 'Three threes make nine.\n</think>\n\n9'), outcome: { kind: 'repaired', format: 'openai-chat', repairs: [R.missingThink] } },
    { record: firstChat, outcome: { kind: 'duplicate', format: 'openai-chat' } },
    { record: chat('Count to a million.', '<think>1, 2, 3, 4, 5'), outcome: skip(S.unclosed, 'openai-chat') },
  ],
  'mot/mixture.jsonl': [
    { record: { ...chat('Sum 4 and 4.', '<think>\n4 + 4 = 8\n</think>\n\n8'), num_tokens: 42, source: 'math' }, outcome: ok('mixture-of-thoughts') },
    {
      record: { ...chat('Is 9 odd?', '<think>\r\n9 = 2*4 + 1\r\n</think>\r\n\r\nYes.'), num_tokens: 17, source: 'math' },
      outcome: { kind: 'repaired', format: 'mixture-of-thoughts', repairs: [R.crlf] },
    },
  ],
  's1k/s1k-1.1.jsonl': [
    { record: { question: 'What is 10 / 2?', solution: '5', deepseek_thinking_trajectory: 'Half of ten is five.', deepseek_attempt: '\\boxed{5}', gemini_attempt: 'x' }, outcome: ok('s1k-1.1') },
  ],
  'limo/limo.jsonl': [
    { record: { question: 'What is 6 - 1?', solution: 'Six minus one leaves five, so the answer is 5.', answer: '5' }, outcome: ok('limo') },
    { record: { question: 'What is 0 / 0?', solution: 'Undefined.', answer: '  ' }, outcome: skip(S.emptyAnswer, 'limo') },
  ],
  'custom/custom.jsonl': [
    { record: { prompt: 'What is 7 + 1?', reason: 'Seven and one is eight.', gen_ans: '8' }, outcome: skip(S.unknown) },
    { record: { prompt: 'What is 7 + 2?', reason: 'Seven and two is nine.', gen_ans: '9' }, outcome: skip(S.unknown) },
  ],
};

const PLAIN_FILE = 'plain/plain.jsonl';
const PLAIN: Entry[] = [
  { record: { question: 'What is 2 * 4?', reasoning: 'Two fours are eight.', answer: '8' }, outcome: { kind: 'repaired', format: 'plain', repairs: [R.bom] } },
  { record: { question: 'What is 12 / 4?', reasoning: 'Four goes into twelve three times.', answer: '3' }, outcome: ok('plain') },
  { record: Buffer.from([0x7b, 0x22, 0x71, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), outcome: skip(S.notUtf8) },
  { record: { question: 'What is 1 - 1?', reasoning: ' ', answer: '0' }, outcome: skip(S.emptyReasoning, 'plain') },
];

const JSON_ARRAYS: Record<string, Entry[]> = {
  'api/deepseek.json': [
    { record: { request: { messages: [{ role: 'user', content: 'What is 5 + 5?' }] }, choices: [{ message: { role: 'assistant', content: '10', reasoning_content: 'Five and five make ten.' } }] }, outcome: ok('deepseek-api') },
    { record: { messages: [{ role: 'user', content: 'What is 9 + 1?' }], response: { choices: [{ message: { content: '10', reasoning_content: 'Nine plus one.' } }] } }, outcome: ok('deepseek-api') },
    { record: { id: 'r3', choices: [{ message: { content: '3', reasoning_content: 'no question kept' } }] }, outcome: skip(S.noRequest, 'deepseek-api') },
  ],
  's1k/s1k.json': [
    { record: { question: 'What is 3 + 4?', solution: '7', thinking_trajectories: ['Three and four is seven.'], attempt: 'The answer is 7.', metadata: "{'source': 'python repr', 'ok': True}" }, outcome: ok('s1k') },
    { record: { question: 'What is 8 - 3?', solution: '5', gemini_thinking_trajectory: 'Eight minus three.', gemini_attempt: '5' }, outcome: ok('s1k') },
  ],
};

const SHAREGPT_FILE = 'sharegpt/openthoughts.parquet';
const thought = (t: string, s: string) => `<|begin_of_thought|>\n\n${t}\n\n<|end_of_thought|>\n\n<|begin_of_solution|>\n\n${s}\n\n<|end_of_solution|>`;
const SHAREGPT: Entry[] = [1, 2, 3].map((n): Entry => ({
  record: { system: 'Your role as an assistant involves thoroughly exploring questions…', conversations: [{ from: 'user', value: `What is ${n} squared?` }, { from: 'assistant', value: thought(`${n} times ${n} is ${n * n}.`, `${n * n}`) }] },
  outcome: ok('sharegpt'),
})).concat([{
  record: { system: 'x', conversations: [{ from: 'user', value: 'What is 4 squared?' }, { from: 'assistant', value: thought('4 times 4', '') }] },
  outcome: skip(S.emptyAnswer, 'sharegpt'),
}]);

const OPENR1_FILE = 'openr1/openr1-math.parquet';
const OPENR1: Entry[] = [
  {
    record: { problem: 'What is 6 + 7?', solution: '13', answer: '13', generations: ['<think>\nSix plus seven is thirteen.\n</think>\n\n\\boxed{13}', '<think>\nmaybe 12\n</think>\n\n12', '<think>\n7 + 6 = 13\n</think>\n\nSo \\boxed{13}.'], correctness_math_verify: [true, false, true] },
    outcome: ok('openr1-math', 2),
  },
  { record: { problem: 'What is 2 ^ 10?', solution: '1024', answer: '1024', generations: ['<think>\n1000\n</think>\n\n1000'], correctness_math_verify: [false] }, outcome: skip(S.noVerified, 'openr1-math') },
];

const TEXT: Record<string, { blocks: string[]; outcomes: Outcome[] }> = {
  'notes/traces.md': {
    blocks: ['Question: What is 11 + 11?\n\n<think>\nEleven doubled is twenty-two.\n</think>\n\nAnswer: 22\n', '\n# Q: What is 100 / 10?\n\n<think>ten</think>\n\n10\n'],
    outcomes: [ok('markdown'), ok('markdown')],
  },
  'notes/no-thought.txt': { blocks: ['Q: What is 1 + 2?\nIt is 3.\n'], outcomes: [skip(S.noReasoning, 'text')] },
};

const PARQUET_SHAREGPT: ParquetColumn[] = [{ name: 'system', kind: 'string' }, { name: 'conversations', kind: 'structList', fields: ['from', 'value'] }];
const PARQUET_OPENR1: ParquetColumn[] = [
  { name: 'problem', kind: 'string' }, { name: 'solution', kind: 'string' }, { name: 'answer', kind: 'string' },
  { name: 'generations', kind: 'list', item: 'string' }, { name: 'correctness_math_verify', kind: 'list', item: 'bool' },
];

function lineOf(entry: Entry): Buffer {
  if (Buffer.isBuffer(entry.record)) return entry.record;
  return Buffer.from(typeof entry.record === 'string' ? entry.record : JSON.stringify(entry.record));
}

function write(dir: string, name: string, content: Buffer | string): void {
  const path = join(dir, name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}

/** Writes the folder and returns the counts the importer must report (without and with MIXED_FOLDER_MAP). */
export async function writeMixedTraceFolder(dir: string): Promise<{ expected: ExpectedCounts; expectedWithMap: ExpectedCounts; map: string }> {
  const newline = Buffer.from('\n');
  for (const [name, entries] of Object.entries(JSONL)) write(dir, name, Buffer.concat([...entries.flatMap((e) => [lineOf(e), newline]), newline]));
  const plainLines = PLAIN.map(lineOf);
  write(dir, PLAIN_FILE, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), ...plainLines.flatMap((l) => [l, newline])]));
  for (const [name, entries] of Object.entries(JSON_ARRAYS)) write(dir, name, `[\n${entries.map((e) => `  ${JSON.stringify(e.record)}`).join(',\n')}\n]\n`);
  writeParquet(join(mkdirFor(dir, SHAREGPT_FILE), SHAREGPT_FILE), PARQUET_SHAREGPT, SHAREGPT.map((e) => e.record as Record<string, unknown>), 2);
  writeParquet(join(mkdirFor(dir, OPENR1_FILE), OPENR1_FILE), PARQUET_OPENR1, OPENR1.map((e) => e.record as Record<string, unknown>), 1);
  for (const [name, { blocks }] of Object.entries(TEXT)) write(dir, name, blocks.join('---\n'));

  const outcomes = [
    ...Object.values(JSONL).flat(), ...PLAIN, ...Object.values(JSON_ARRAYS).flat(), ...SHAREGPT, ...OPENR1,
  ].map((e) => e.outcome).concat(Object.values(TEXT).flatMap((t) => t.outcomes));
  const files = Object.keys(JSONL).length + 1 + Object.keys(JSON_ARRAYS).length + 2 + Object.keys(TEXT).length;
  const mapped = outcomes.map((o) => (o.kind === 'skipped' && o.reason === S.unknown ? ok('mapped') : o));
  return { expected: count(outcomes, files), expectedWithMap: count(mapped, files), map: MIXED_FOLDER_MAP };
}

function mkdirFor(dir: string, name: string): string {
  mkdirSync(dirname(join(dir, name)), { recursive: true });
  return dir;
}

function count(outcomes: Outcome[], files: number): ExpectedCounts {
  const c: ExpectedCounts = { files, records: outcomes.length, accepted: 0, repaired: 0, skipped: 0, duplicates: 0, examples: 0, byFormat: {}, repairs: {}, skipReasons: {} };
  const bump = (map: Record<string, number>, key: string) => (map[key] = (map[key] ?? 0) + 1);
  for (const o of outcomes) {
    if (o.kind === 'skipped') {
      c.skipped++;
      bump(c.skipReasons, o.reason);
      if (o.format) bump(c.byFormat, o.format);
      continue;
    }
    bump(c.byFormat, o.format);
    if (o.kind === 'duplicate') c.duplicates++;
    else {
      c.examples += o.examples ?? 1;
      if (o.kind === 'accepted') c.accepted++;
      else {
        c.repaired++;
        for (const r of o.repairs) bump(c.repairs, r);
      }
    }
  }
  return c;
}

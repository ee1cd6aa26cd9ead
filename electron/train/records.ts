/**
 * Training records from a JSONL file of canonical traces `{question, reasoning, answer}` (one per line), tokenized
 * with the R1 training string; the loss covers everything after `<｜Assistant｜>`. Bad lines are skipped and reported
 * with their line number, never fatal. (Detecting the many public trace formats is the trace-folder importer's job;
 * it produces these canonical records.)
 */
import { encodeTrainingExample } from '../tokenizer/load';
import { forEachLine } from '../util/lines';
import type { TokenizerFamily } from '../tokenizer/r1-tokens';
import type { TrainingRecord } from './packing';

export interface LoadedRecords {
  records: TrainingRecord[];
  skipped: { line: number; reason: string }[];
  /** Records longer than maxLen (they are cut to maxLen) and the tokens cut in all. */
  truncated: { count: number; tokensCut: number };
}

/** Lines longer than this are skipped, not parsed: no trace is that long, and it bounds memory per line. */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;
/**
 * No token is longer than this many characters, so a field cut to maxLen × this many characters still gives more
 * than maxLen tokens: the record is cut before tokenizing (a 10 MB line costs what one row does), with the same
 * result as cutting its tokens after.
 */
export const MAX_CHARS_PER_TOKEN = 256;

export function loadTraceRecords(file: string, family: TokenizerFamily, maxLen: number): LoadedRecords {
  const out: LoadedRecords = { records: [], skipped: [], truncated: { count: 0, tokensCut: 0 } };
  const budget = maxLen * MAX_CHARS_PER_TOKEN;
  const onLine = (line: string, lineNumber: number) => {
    if (!line.trim()) return;
    const parsed = parseLine(line);
    if (typeof parsed === 'string') {
      out.skipped.push({ line: lineNumber, reason: parsed });
      return;
    }
    const fields = [parsed.question, parsed.reasoning, parsed.answer];
    const cutBefore = fields.some((f) => f.length > budget);
    const [question, reasoning, answer] = fields.map((f) => f.slice(0, budget));
    const { ids, lossStart } = encodeTrainingExample(family, question, reasoning, answer);
    if (ids.length > maxLen || cutBefore) {
      out.truncated.count++;
      out.truncated.tokensCut += Math.max(0, ids.length - maxLen); // at least this many when cut before tokenizing
    }
    out.records.push({ inputIds: ids, targetMask: ids.map((_, t) => (t >= lossStart ? 1 : 0)) });
  };
  forEachLine(file, MAX_LINE_BYTES, onLine, (lineNumber) =>
    out.skipped.push({ line: lineNumber, reason: `longer than ${MAX_LINE_BYTES / 1024 / 1024} MB` }),
  );
  return out;
}

function parseLine(line: string): { question: string; reasoning: string; answer: string } | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return 'not valid JSON';
  }
  const record = value as Record<string, unknown>;
  for (const field of ['question', 'reasoning', 'answer']) {
    if (typeof record?.[field] !== 'string') return `missing text field "${field}"`;
  }
  if (!(record.answer as string).trim()) return 'empty answer';
  return { question: record.question as string, reasoning: record.reasoning as string, answer: record.answer as string };
}

/** Deterministic split: every k-th record (k = round(1/fraction)) goes to validation. */
export function splitValidation(records: TrainingRecord[], fraction: number): { train: TrainingRecord[]; validation: TrainingRecord[] } {
  if (!(fraction > 0) || records.length < 2) return { train: records, validation: [] };
  const every = Math.max(2, Math.round(1 / fraction));
  return {
    train: records.filter((_, i) => i % every !== every - 1),
    validation: records.filter((_, i) => i % every === every - 1),
  };
}

/**
 * Training records from a JSONL file of canonical traces `{question, reasoning, answer, turns?}` (one per line, as
 * `traces convert` writes them), tokenized with the base model's own tokenizer and chat template; the loss covers
 * everything after `<｜Assistant｜>`. Bad lines are skipped and reported with their line number, never fatal.
 * (Detecting the many public trace formats is the importer's job: electron/traces.)
 */
import { readJsonLines } from '../traces/jsonl-file';
import { CanonicalTrace, DEFAULT_MAX_RECORD_BYTES } from '../traces';
import type { TrainingRecord } from './packing';
import type { TrainingTokenizer } from './tokenize';

export interface LoadedRecords {
  records: TrainingRecord[];
  skipped: { line: number; reason: string }[];
  /** Records longer than maxLen (they are cut to maxLen) and the tokens cut in all. */
  truncated: { count: number; tokensCut: number };
}

/** A canonical trace; `source` is optional here so that hand-written files train too. */
const TrainingTrace = CanonicalTrace.partial({ source: true });

export async function loadTraceRecords(file: string, tokenizer: TrainingTokenizer, maxLen: number, signal?: AbortSignal): Promise<LoadedRecords> {
  const out: LoadedRecords = { records: [], skipped: [], truncated: { count: 0, tokensCut: 0 } };
  for await (const raw of readJsonLines(file, { maxRecordBytes: DEFAULT_MAX_RECORD_BYTES, signal, onBytes: () => {} })) {
    const line = raw.where.line ?? 0;
    const parsed = raw.skip ? raw.skip.message : checkTrace(raw.value);
    if (typeof parsed === 'string') {
      out.skipped.push({ line, reason: parsed });
      continue;
    }
    const { trace, cut } = cutBeforeTokenizing(parsed, maxLen * MAX_CHARS_PER_TOKEN);
    const { ids, lossStart } = tokenizer.encodeTrace(trace);
    if (ids.length > maxLen || cut) {
      out.truncated.count++;
      out.truncated.tokensCut += Math.max(0, ids.length - maxLen); // at least this many when cut before tokenizing
    }
    out.records.push({ inputIds: ids, targetMask: ids.map((_, t) => (t >= lossStart ? 1 : 0)) });
  }
  return out;
}

/**
 * No token is longer than this many characters, so a text cut to maxLen × this many characters still gives more
 * than maxLen tokens: a huge record is cut before tokenizing (a 9 MB reasoning costs what one row does), with the
 * same training rows as cutting its tokens after.
 */
export const MAX_CHARS_PER_TOKEN = 256;

function cutBeforeTokenizing<T extends { question: string; reasoning: string; answer: string }>(trace: T, budget: number): { trace: T; cut: boolean } {
  const cut = trace.question.length > budget || trace.reasoning.length > budget || trace.answer.length > budget;
  if (!cut) return { trace, cut };
  return {
    trace: { ...trace, question: trace.question.slice(0, budget), reasoning: trace.reasoning.slice(0, budget), answer: trace.answer.slice(0, budget) },
    cut,
  };
}

function checkTrace(value: unknown): CanonicalTrace | Omit<CanonicalTrace, 'source'> | string {
  const record = value as Record<string, unknown>;
  for (const field of ['question', 'reasoning', 'answer']) {
    if (typeof record?.[field] !== 'string') return `missing text field "${field}"`;
    if (!(record[field] as string).trim()) return `empty ${field}`;
  }
  const trace = TrainingTrace.safeParse(value);
  if (!trace.success) return `not a canonical trace: ${trace.error.issues[0]?.path.join('.')} ${trace.error.issues[0]?.message}`;
  return trace.data;
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

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
    const { ids, lossStart } = tokenizer.encodeTrace(parsed);
    if (ids.length > maxLen) {
      out.truncated.count++;
      out.truncated.tokensCut += ids.length - maxLen;
    }
    out.records.push({ inputIds: ids, targetMask: ids.map((_, t) => (t >= lossStart ? 1 : 0)) });
  }
  return out;
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

/**
 * Training records from a JSONL file of canonical traces `{question, reasoning, answer}` (one per line), tokenized
 * with the R1 training string; the loss covers everything after `<｜Assistant｜>`. Bad lines are skipped and reported
 * with their line number, never fatal. (Detecting the many public trace formats is the trace-folder importer's job;
 * it produces these canonical records.)
 */
import { readFileSync } from 'node:fs';
import { encodeTrainingExample } from '../tokenizer/load';
import type { TokenizerFamily } from '../tokenizer/r1-tokens';
import type { TrainingRecord } from './packing';
import { Rng } from './rng';

export interface LoadedRecords {
  records: TrainingRecord[];
  skipped: { line: number; reason: string }[];
  /** Records longer than maxLen (they are cut to maxLen) and the tokens cut in all. */
  truncated: { count: number; tokensCut: number };
}

export function loadTraceRecords(file: string, family: TokenizerFamily, maxLen: number): LoadedRecords {
  const text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  const out: LoadedRecords = { records: [], skipped: [], truncated: { count: 0, tokensCut: 0 } };
  text.split(/\r?\n/).forEach((line, index) => {
    if (!line.trim()) return;
    const parsed = parseLine(line);
    if (typeof parsed === 'string') {
      out.skipped.push({ line: index + 1, reason: parsed });
      return;
    }
    const { ids, lossStart } = encodeTrainingExample(family, parsed.question, parsed.reasoning, parsed.answer);
    if (ids.length > maxLen) {
      out.truncated.count++;
      out.truncated.tokensCut += ids.length - maxLen;
    }
    out.records.push({ inputIds: ids, targetMask: ids.map((_, t) => (t >= lossStart ? 1 : 0)), text: { question: parsed.question, answer: parsed.answer } });
  });
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

/**
 * Seeded split: a permutation drawn from `seed` puts round(n · fraction) records (at least one when n ≥ 2) in
 * validation, in their original order. The same seed and count always give the same split.
 */
export function seededSplit<T>(records: T[], fraction: number, seed: number): { train: T[]; validation: T[] } {
  const count = splitCounts(records.length, fraction).validation;
  if (!count) return { train: records, validation: [] };
  const held = new Set(new Rng(seed).permutation(records.length).slice(0, count));
  return { train: records.filter((_, i) => !held.has(i)), validation: records.filter((_, i) => held.has(i)) };
}

export function splitCounts(n: number, fraction: number): { train: number; validation: number } {
  const validation = !(fraction > 0) || n < 2 ? 0 : Math.min(n - 1, Math.max(1, Math.round(n * fraction)));
  return { train: n - validation, validation };
}

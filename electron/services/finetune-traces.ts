/**
 * The trace importer as the Fine-tune screen uses it. This build reads canonical JSONL only ({question, reasoning,
 * answer} per line, in .jsonl files under a folder); the multi-format importer (electron/traces) replaces this file's
 * body with the same three calls.
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadModelConfig } from '../model/config';
import { encodeTrainingExample, loadR1Tokenizer } from '../tokenizer/load';

export interface TraceReport {
  files: number;
  accepted: number;
  repaired: number;
  skipped: number;
  duplicates: number;
  examples: number;
  byFormat: Record<string, number>;
  repairs?: Record<string, number>;
  problems: { file: string; line?: number; row?: number; reason: string }[];
  tokens: { unit: string; p50: number; p95: number; max: number; overMaxLength: number; histogram: { upTo: number; count: number }[] };
}

export interface ImportOptions {
  map?: Record<string, string>;
  /** A checkpoint folder: token figures in its tokens (characters otherwise). */
  tokenizer?: string;
  maxLength?: number;
}

interface Canonical { question: string; reasoning: string; answer: string }

function jsonlFiles(input: string): string[] {
  const stat = fs.statSync(input);
  if (stat.isFile()) return [input];
  return fs.readdirSync(input, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.jsonl')).sort().map((f) => path.join(input, f));
}

function field(record: Record<string, unknown>, name: keyof Canonical, map?: Record<string, string>): unknown {
  return record[map?.[name] ?? name];
}

function* records(inputs: string[], map: Record<string, string> | undefined, report: TraceReport): Generator<Canonical> {
  const seen = new Set<string>();
  for (const file of inputs.flatMap(jsonlFiles)) {
    report.files++;
    const lines = fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '').split(/\r?\n/);
    for (const [index, line] of lines.entries()) {
      if (!line.trim()) continue;
      const problem = (reason: string) => {
        report.skipped++;
        report.problems.push({ file, line: index + 1, reason });
      };
      let value: Record<string, unknown>;
      try {
        value = JSON.parse(line) as Record<string, unknown>;
      } catch {
        problem('broken JSON');
        continue;
      }
      const [question, reasoning, answer] = (['question', 'reasoning', 'answer'] as const).map((k) => field(value ?? {}, k, map));
      if (typeof question !== 'string' || typeof reasoning !== 'string' || typeof answer !== 'string') {
        problem('missing question, reasoning or answer');
        continue;
      }
      if (!answer.trim()) {
        problem('empty answer');
        continue;
      }
      if (seen.has(line)) {
        report.duplicates++;
        continue;
      }
      seen.add(line);
      report.accepted++;
      report.examples++;
      report.byFormat.canonical = (report.byFormat.canonical ?? 0) + 1;
      yield { question, reasoning, answer };
    }
  }
}

function emptyReport(): TraceReport {
  return {
    files: 0, accepted: 0, repaired: 0, skipped: 0, duplicates: 0, examples: 0, byFormat: {}, problems: [],
    tokens: { unit: 'characters', p50: 0, p95: 0, max: 0, overMaxLength: 0, histogram: [] },
  };
}

export async function checkTraces(inputs: string[], options: ImportOptions = {}): Promise<TraceReport> {
  const report = emptyReport();
  const family = options.tokenizer ? loadModelConfig(options.tokenizer).modelType : undefined;
  const lengths: number[] = [];
  for (const r of records(inputs, options.map, report)) {
    lengths.push(family ? encodeTrainingExample(family, r.question, r.reasoning, r.answer).ids.length : r.question.length + r.reasoning.length + r.answer.length);
  }
  lengths.sort((a, b) => a - b);
  const at = (q: number) => lengths[Math.min(lengths.length - 1, Math.floor(q * lengths.length))] ?? 0;
  const max = lengths.at(-1) ?? 0;
  const width = Math.max(1, Math.ceil(max / 20));
  const histogram = Array.from({ length: lengths.length ? Math.ceil(max / width) : 0 }, (_, i) => ({ upTo: (i + 1) * width, count: 0 }));
  for (const n of lengths) histogram[Math.max(0, Math.ceil(n / width) - 1)].count++;
  report.tokens = {
    unit: family ? 'tokens' : 'characters', p50: at(0.5), p95: at(0.95), max,
    overMaxLength: options.maxLength ? lengths.filter((n) => n > options.maxLength!).length : 0, histogram,
  };
  return report;
}

export async function importTraces(inputs: string[], outFile: string, options: ImportOptions = {}): Promise<TraceReport> {
  const report = emptyReport();
  const lines = [...records(inputs, options.map, report)].map((r) => JSON.stringify(r));
  fs.writeFileSync(outFile, lines.length ? `${lines.join('\n')}\n` : '');
  return report;
}

/** The first record tokenized for the checkpoint, each token with whether the loss covers it. */
export async function previewTokens(checkpoint: string, inputs: string[], map?: Record<string, string>): Promise<{ tokens: { text: string; id: number; loss: boolean }[] } | undefined> {
  const first = records(inputs, map, emptyReport()).next();
  if (first.done) return undefined;
  const family = loadModelConfig(checkpoint).modelType;
  const { ids, lossStart } = encodeTrainingExample(family, first.value.question, first.value.reasoning, first.value.answer);
  const tokenizer = loadR1Tokenizer(family);
  return { tokens: ids.slice(0, 2000).map((id, i) => ({ id, text: tokenizer.decode([id]), loss: i >= lossStart })) };
}

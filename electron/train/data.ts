/**
 * The data a run trains on: a canonical JSONL file as it is, or anything else (a trace folder, a dataset file in
 * another format) through the trace importer first, into the run folder. Tokens come from the base model's folder.
 */
import { mkdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { DEFAULT_MAX_RECORD_BYTES, importTraces, type ImportOptions, type TraceReport } from '../traces';
import { readJsonLines } from '../traces/jsonl-file';
import { loadTraceRecords, type LoadedRecords } from './records';
import { loadTrainingTokenizer, type TrainingTokenizer } from './tokenize';

/** Where an imported trace folder is written inside the run folder. */
export const IMPORTED_DATA_FILE = 'imported-traces.jsonl';

export interface PrepareOptions {
  data: string;
  modelFolder: string;
  outDir: string;
  maxLen: number;
  map?: ImportOptions['map'];
  signal?: AbortSignal;
  onImportProgress?: ImportOptions['onProgress'];
}

export interface PreparedData {
  /** The canonical JSONL that was read. */
  file: string;
  /** Present when the data went through the importer. */
  report?: TraceReport;
  tokenizer: TrainingTokenizer;
  loaded: LoadedRecords;
}

export async function prepareTrainingData(options: PrepareOptions): Promise<PreparedData> {
  const tokenizer = await loadTrainingTokenizer(options.modelFolder);
  let file = options.data;
  let report: TraceReport | undefined;
  if (options.map || !(await isCanonicalJsonl(options.data))) {
    await mkdir(options.outDir, { recursive: true });
    file = join(options.outDir, IMPORTED_DATA_FILE);
    report = await importTraces([options.data], file, {
      map: options.map, tokenizer, maxLength: options.maxLen, signal: options.signal, onProgress: options.onImportProgress,
    });
  }
  const loaded = await loadTraceRecords(file, tokenizer, options.maxLen, options.signal);
  return { file, report, tokenizer, loaded };
}

/** A .jsonl file whose first record has text question/reasoning/answer fields (what `traces convert` writes). */
export async function isCanonicalJsonl(path: string): Promise<boolean> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new Error(`${path} does not exist: give a trace folder or a JSONL file of {question, reasoning, answer}.`);
  if (!info.isFile() || extname(path).toLowerCase() !== '.jsonl') return false;
  for await (const first of readJsonLines(path, { maxRecordBytes: DEFAULT_MAX_RECORD_BYTES, onBytes: () => {} })) {
    // A broken first line: the canonical reader reports it with its line number.
    if (first.skip) return true;
    const record = first.value as Record<string, unknown>;
    return ['question', 'reasoning', 'answer'].every((f) => typeof record?.[f] === 'string');
  }
  return true;
}

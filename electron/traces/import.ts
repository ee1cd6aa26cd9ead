/**
 * The trace importer: every file of the inputs (folders recursively) through its container reader, every record
 * through shape detection, exact duplicates dropped, and each record counted once as accepted, repaired, duplicate
 * or skipped-with-reason. `importTraces` also writes the canonical JSONL (to a temporary file renamed at the end, so
 * a failed or cancelled import leaves nothing half-written).
 */
import { createHash } from 'node:crypto';
import { open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, extname, join, relative, resolve } from 'node:path';
import type { CanonicalTrace, TraceReport } from '../contract/traces';
import { extractRecord, type Extraction, type FieldMap, type TraceFields } from './formats';
import { readJsonFile } from './json-file';
import { readJsonLines } from './jsonl-file';
import { readParquetFile } from './parquet-file';
import type { RawRecord, ReadContext } from './raw-record';
import { ReportBuilder } from './report';
import { ChunkMerger } from './stream-chunks';
import { TraceSkip } from './text';
import { extractTextBlock, readTextFile, type TextBlock } from './text-file';
import { trainingText } from './training-text';

export interface ImportProgress {
  bytesDone: number;
  bytesTotal: number;
  records: number;
}

export interface ImportOptions {
  map?: FieldMap;
  /** The model's tokenizer: lengths in tokens of the training string (characters without one). */
  tokenizer?: { encode(text: string): number[] };
  /** Examples longer than this (in the report's unit) are counted as cut. */
  maxLength?: number;
  signal?: AbortSignal;
  onProgress?(p: ImportProgress): void;
  /** Records (lines, array elements) bigger than this are skipped unparsed. Default 10 MB. */
  maxRecordBytes?: number;
}

export const DEFAULT_MAX_RECORD_BYTES = 10 * 1000 * 1000;
const PROGRESS_EVERY_MS = 200;

type Reader = (file: string, ctx: ReadContext) => AsyncGenerator<RawRecord>;
const READERS: Record<string, { reader: Reader; text?: 'markdown' | 'text' }> = {
  '.jsonl': { reader: readJsonLines },
  '.ndjson': { reader: readJsonLines },
  '.json': { reader: readJsonFile },
  '.parquet': { reader: readParquetFile },
  '.md': { reader: readTextFile, text: 'markdown' },
  '.markdown': { reader: readTextFile, text: 'markdown' },
  '.txt': { reader: readTextFile, text: 'text' },
};

export const SUPPORTED_EXTENSIONS = Object.keys(READERS);

export function checkTraces(inputs: string[], options: ImportOptions = {}): Promise<TraceReport> {
  return run(inputs, undefined, options);
}

export async function importTraces(inputs: string[], outFile: string, options: ImportOptions = {}): Promise<TraceReport> {
  const partial = `${outFile}.partial`;
  const file = await open(partial, 'w').catch((error: Error) => {
    throw new Error(`Cannot write ${outFile}: ${error.message}. Choose a file in a folder you can write to.`);
  });
  try {
    const lines = new LineWriter(file);
    const report = await run(inputs, lines, { ...options }, resolve(outFile));
    await lines.flush();
    await file.close();
    await rename(partial, outFile);
    return report;
  } catch (error) {
    await file.close().catch(() => undefined);
    await rm(partial, { force: true });
    throw error;
  }
}

/** Canonical lines go out in ~1 MB batches: a write (and a wait for the disk) per record halves the import speed. */
class LineWriter {
  private parts: string[] = [];
  private size = 0;
  constructor(private readonly file: FileHandle) {}

  async add(line: string): Promise<void> {
    this.parts.push(line);
    this.size += line.length;
    if (this.size >= 1 << 20) await this.flush();
  }

  async flush(): Promise<void> {
    if (!this.parts.length) return;
    const text = this.parts.join('');
    this.parts = [];
    this.size = 0;
    await this.file.write(text);
  }
}

interface InputFile {
  path: string;
  /** How the report and `source.file` name it: relative to the folder given, or as given. */
  name: string;
  size: number;
}

async function run(inputs: string[], out: LineWriter | undefined, options: ImportOptions, skipPath?: string): Promise<TraceReport> {
  const report = new ReportBuilder(options.tokenizer ? 'tokens' : 'characters', options.maxLength);
  const { files, ignored } = await listInputs(inputs, skipPath);
  for (const file of ignored) report.fileIgnored(file, `not a trace file (read: ${SUPPORTED_EXTENSIONS.join(', ')})`);
  const bytesTotal = files.reduce((sum, f) => sum + f.size, 0);
  const seen = new Set<string>();
  let bytesBefore = 0;
  let lastProgress = 0;
  const progress = (bytesInFile: number, force = false) => {
    const now = Date.now();
    if (!options.onProgress || (!force && now - lastProgress < PROGRESS_EVERY_MS)) return;
    lastProgress = now;
    options.onProgress({ bytesDone: bytesBefore + bytesInFile, bytesTotal, records: report.records });
  };
  for (const file of files) {
    options.signal?.throwIfAborted();
    report.fileRead();
    const kind = READERS[extname(file.path).toLowerCase()];
    const ctx: ReadContext = { maxRecordBytes: options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES, signal: options.signal, onBytes: progress };
    const chunks = new ChunkMerger();
    const handle = async (records: RawRecord[]) => {
      for (const raw of records) {
        const lines = handleRecord(raw, file.name, kind.text, options, report, seen);
        if (out) for (const line of lines) await out.add(line);
      }
    };
    try {
      for await (const raw of kind.reader(file.path, ctx)) {
        options.signal?.throwIfAborted();
        await handle(kind.text ? [raw] : chunks.offer(raw));
      }
      await handle(chunks.flush());
    } catch (error) {
      if (options.signal?.aborted) throw error;
      // A file that fails while being read (permissions, vanished): named; its records so far are counted.
      report.skip(file.name, {}, new TraceSkip('unreadable file', (error as Error).message));
    }
    bytesBefore += file.size;
    progress(0, true);
  }
  return report.build();
}

/** Counts one input record and returns the canonical JSONL lines of its new examples. */
function handleRecord(raw: RawRecord, file: string, text: 'markdown' | 'text' | undefined, options: ImportOptions, report: ReportBuilder, seen: Set<string>): string[] {
  if (raw.skip) {
    report.skip(file, raw.where, raw.skip);
    return [];
  }
  let extraction: Extraction;
  try {
    extraction = text
      ? { format: text, examples: [extractTextBlock(raw.value as TextBlock, raw.repairs)] }
      : extractRecord(raw.value, raw.repairs, options.map);
  } catch (error) {
    // Anything else thrown here is a bug, not bad data; it still costs only this record, named.
    const skip = error instanceof TraceSkip ? error : new TraceSkip('record could not be read', String((error as Error)?.message ?? error).slice(0, 200));
    if (text) skip.format = text;
    if (skip.format) report.format(skip.format);
    report.skip(file, raw.where, skip);
    return [];
  }
  report.format(extraction.format);
  const lines: string[] = [];
  for (const fields of extraction.examples) {
    const key = exampleKey(fields);
    if (seen.has(key)) continue;
    seen.add(key);
    const trainText = trainingText(fields);
    report.example(options.tokenizer ? options.tokenizer.encode(trainText).length : trainText.length);
    lines.push(`${JSON.stringify(canonical(fields, file, raw))}\n`);
  }
  if (lines.length) report.used(raw.repairs.names);
  else report.duplicate();
  return lines;
}

function canonical(fields: TraceFields, file: string, raw: RawRecord): CanonicalTrace {
  const trace: CanonicalTrace = { question: fields.question, reasoning: fields.reasoning, answer: fields.answer, source: { file, ...raw.where } };
  if (fields.turns?.length) trace.turns = fields.turns;
  return trace;
}

/** Exact duplicates: same question, reasoning, answer and earlier turns (a 128-bit digest, not the text). */
function exampleKey(fields: TraceFields): string {
  return createHash('sha256')
    .update(JSON.stringify([fields.question, fields.reasoning, fields.answer, fields.turns ?? []]))
    .digest('base64')
    .slice(0, 22);
}

async function listInputs(inputs: string[], skipPath?: string): Promise<{ files: InputFile[]; ignored: string[] }> {
  const files: InputFile[] = [];
  const ignored: string[] = [];
  for (const input of inputs) {
    const info = await stat(input).catch(() => undefined);
    if (!info) throw new Error(`${input} does not exist: give a folder of trace files or a trace file.`);
    if (info.isFile()) {
      if (READERS[extname(input).toLowerCase()]) files.push({ path: input, name: input, size: info.size });
      else ignored.push(input);
      continue;
    }
    const entries = await readdir(input, { recursive: true, withFileTypes: true });
    const paths = entries
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name))
      .filter((p) => !relative(input, p).split(/[\\/]/).some((part) => part.startsWith('.')))
      // never our own output (convert into the folder it reads), nor a half-written one left by a killed import
      .filter((p) => resolve(p) !== skipPath && !basename(p).endsWith('.partial'))
      .sort();
    for (const path of paths) {
      const name = relative(input, path) || basename(path);
      if (!READERS[extname(path).toLowerCase()]) {
        ignored.push(name);
        continue;
      }
      files.push({ path, name, size: (await stat(path)).size });
    }
  }
  return { files, ignored };
}

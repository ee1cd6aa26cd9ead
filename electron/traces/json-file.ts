/**
 * .json files: a top-level array is streamed element by element (a byte scanner that tracks strings and nesting),
 * so a huge array never sits in memory whole; a top-level object is one record, or wraps an array of records
 * ({"data": [...]}); a file that is really JSON Lines is read as such.
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { readJsonLines } from './jsonl-file';
import { decodeUtf8, parseJsonRecord, SKIP_CONTAINER, type RawRecord, type ReadContext } from './raw-record';
import { Repairs, TraceSkip } from './text';

/** A .json object file is parsed whole: bigger ones must be JSON Lines (or an array, which streams). */
export const MAX_JSON_OBJECT_BYTES = 64 * 1024 * 1024;

const BYTE = { quote: 0x22, backslash: 0x5c, comma: 0x2c, newline: 0x0a, openBrace: 0x7b, closeBrace: 0x7d, openBracket: 0x5b, closeBracket: 0x5d } as const;
const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

export async function* readJsonFile(file: string, ctx: ReadContext): AsyncGenerator<RawRecord> {
  const first = await firstByte(file);
  if (first === BYTE.openBracket) {
    yield* readJsonArray(file, ctx);
    return;
  }
  const { size } = await stat(file);
  if (size > MAX_JSON_OBJECT_BYTES) {
    yield* readJsonLines(file, ctx); // one huge object would not fit; JSON Lines is the only way it can be big
    return;
  }
  const bytes = await readAll(file);
  ctx.onBytes(size);
  const whole = parseJsonRecord(bytes, { line: 1 });
  if (whole.skip) {
    const text = decodeUtf8(bytes) ?? '';
    if (looksLikeJsonLines(text)) {
      yield* readJsonLines(file, ctx);
      return;
    }
    yield whole;
    return;
  }
  const wrapped = wrappedRecords(whole.value);
  if (!wrapped) {
    yield whole;
    return;
  }
  for (let row = 0; row < wrapped.length; row++) {
    ctx.signal?.throwIfAborted();
    yield { where: { row }, value: wrapped[row], repairs: row === 0 ? whole.repairs : new Repairs() };
  }
}

function looksLikeJsonLines(text: string): boolean {
  const lines = text.split('\n').filter((l) => l.trim());
  if (lines.length < 2) return false;
  try {
    JSON.parse(lines[0].replace(/^\uFEFF/, ''));
    return true;
  } catch {
    return false;
  }
}

/** {"data": [{…}, …]}-style wrappers: the first property holding a list of objects. */
function wrappedRecords(value: unknown): unknown[] | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const known = ['messages', 'conversations', 'generations', 'choices', 'thinking_trajectories'];
  if (Object.keys(value).some((k) => known.includes(k))) return undefined;
  for (const v of Object.values(value)) {
    if (Array.isArray(v) && v.length > 0 && v.every((e) => typeof e === 'object' && e !== null && !Array.isArray(e))) return v;
  }
  return undefined;
}

async function firstByte(file: string): Promise<number | undefined> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(4096);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    let i = buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf ? 3 : 0;
    while (i < bytesRead && isSpace(buffer[i])) i++;
    return i < bytesRead ? buffer[i] : undefined;
  } finally {
    await handle.close();
  }
}

async function readAll(file: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Streams the elements of a top-level array; each element's `row` is its index, `line` where it starts. */
async function* readJsonArray(file: string, ctx: ReadContext): AsyncGenerator<RawRecord> {
  const scan = new ArrayScanner(ctx.maxRecordBytes);
  let bytesRead = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    ctx.signal?.throwIfAborted();
    for (const element of scan.push(chunk)) yield element;
    bytesRead += chunk.length;
    ctx.onBytes(bytesRead);
  }
  const rest = scan.end();
  if (rest) yield rest;
}

class ArrayScanner {
  private depth = 0;
  private inString = false;
  private escape = false;
  private line = 1;
  private started = false; // inside the top-level array
  private ended = false;
  private element: Buffer[] = [];
  private elementBytes = 0;
  private elementLine = 0;
  private overflow = 0;
  private inElement = false;
  private row = 0;

  constructor(private readonly maxBytes: number) {}

  *push(chunk: Buffer): Generator<RawRecord> {
    let from = -1; // start in this chunk of the element's bytes
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b === BYTE.newline) this.line++;
      if (this.ended) continue;
      if (!this.started) {
        if (b === BYTE.openBracket) this.started = true; // anything before it (a BOM, spaces) is ignored
        continue;
      }
      if (this.inString) {
        if (this.escape) this.escape = false;
        else if (b === BYTE.backslash) this.escape = true;
        else if (b === BYTE.quote) this.inString = false;
        continue;
      }
      if (!this.inElement) {
        if (isSpace(b) || b === BYTE.comma) continue;
        if (b === BYTE.closeBracket) {
          this.ended = true;
          continue;
        }
        this.inElement = true;
        this.elementLine = this.line;
        from = i;
      }
      if (b === BYTE.quote) this.inString = true;
      else if (b === BYTE.openBrace || b === BYTE.openBracket) this.depth++;
      else if (b === BYTE.closeBrace || b === BYTE.closeBracket || b === BYTE.comma) {
        if (this.depth === 0) {
          // end of the element (a comma or the array's closing bracket at the top level)
          this.take(chunk.subarray(from < 0 ? 0 : from, i));
          from = -1;
          yield this.emit();
          if (b === BYTE.closeBracket) this.ended = true;
          continue;
        }
        if (b !== BYTE.comma) this.depth--;
      }
    }
    if (this.inElement) this.take(chunk.subarray(from < 0 ? 0 : from));
  }

  /** The element left open at end of file (a truncated array), if any. */
  end(): RawRecord | undefined {
    if (!this.inElement) return undefined;
    const record = this.emit();
    if (record.skip?.reason === SKIP_CONTAINER.tooLong) return record;
    if (!record.skip && typeof record.value === 'object') {
      record.repairs.add('missing ] at the end of the JSON array');
      return record;
    }
    return { ...record, value: undefined, skip: new TraceSkip(SKIP_CONTAINER.brokenJson, 'the array ends inside this element') };
  }

  private take(part: Buffer): void {
    if (this.overflow > 0 || this.elementBytes + part.length > this.maxBytes) {
      this.overflow += this.elementBytes + part.length;
      this.element = [];
      this.elementBytes = 0;
      return;
    }
    if (part.length) {
      this.element.push(Buffer.from(part));
      this.elementBytes += part.length;
    }
  }

  private emit(): RawRecord {
    const bytes = Buffer.concat(this.element, this.elementBytes);
    const record = parseJsonRecord(bytes, { line: this.elementLine, row: this.row }, this.overflow > 0 ? this.overflow : undefined, this.maxBytes);
    this.row++;
    this.element = [];
    this.elementBytes = 0;
    this.overflow = 0;
    this.inElement = false;
    this.depth = 0;
    this.inString = false;
    this.escape = false;
    return record;
  }
}

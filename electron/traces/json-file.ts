/**
 * .json files: a top-level array is streamed element by element (a byte scanner that tracks strings and nesting),
 * so a huge array never sits in memory whole; a top-level object is one record, or wraps an array of records
 * ({"data": [...]}); a file that is really JSON Lines is read as such.
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { readJsonLines } from './jsonl-file';
import { ArrayScanner } from './json-array';
import { decodeUtf8, parseJsonRecord, type RawRecord, type ReadContext } from './raw-record';
import { Repairs } from './text';

/** A .json object file is parsed whole: bigger ones must be JSON Lines (or an array, which streams). */
export const MAX_JSON_OBJECT_BYTES = 64 * 1024 * 1024;

const OPEN_BRACKET = 0x5b;
const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

export async function* readJsonFile(file: string, ctx: ReadContext): AsyncGenerator<RawRecord> {
  const first = await firstByte(file);
  if (first === OPEN_BRACKET) {
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
  yield* scan.end();
}

/**
 * A byte scanner that cuts a top-level JSON array into its elements as the bytes stream in (strings and nesting
 * tracked, elements over the size limit dropped as they stream). A broken element must not take the good ones after
 * it down with it, so the scanner resynchronises: a raw newline inside a string (never valid JSON) ends the element,
 * and an element that does not parse is re-scanned from each later line that starts an object, keeping what parses.
 */
import { parseJsonRecord, SKIP_CONTAINER, type RawRecord } from './raw-record';
import { TraceSkip } from './text';

const BYTE = { quote: 0x22, backslash: 0x5c, comma: 0x2c, newline: 0x0a, openBrace: 0x7b, closeBrace: 0x7d, openBracket: 0x5b, closeBracket: 0x5d } as const;
const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
/** Resynchronisation tries at most this many line starts per broken element (bounds the work on hostile input). */
const MAX_RESYNC_TRIES = 2000;

export class ArrayScanner {
  private depth = 0;
  private inString = false;
  private escape = false;
  private inElement = false;
  private ended = false;
  private element: Buffer[] = [];
  private elementBytes = 0;
  private elementLine = 0;
  private overflow = 0;
  private column = 0; // bytes since the last newline
  private elementColumn = 0;
  private lineHasContent = false;
  private lastNonSpace = 0;

  constructor(
    private readonly maxBytes: number,
    private line = 1,
    private started = false, // inside the top-level array
    private readonly rows = { next: 0 },
    private readonly resync = true, // false for the probes that look for a resynchronisation point
  ) {}

  *push(chunk: Buffer): Generator<RawRecord> {
    let from = -1; // where the current element's bytes start in this chunk
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (!this.started) {
        if (b === BYTE.newline) this.line++;
        if (b === BYTE.openBracket) this.started = true; // anything before it (a BOM, spaces) is ignored
        continue;
      }
      if (this.inString) {
        if (b === BYTE.newline) {
          // a raw newline cannot be inside a JSON string: the element broke here
          this.take(chunk.subarray(from < 0 ? 0 : from, i));
          from = -1;
          yield* this.emit();
          this.line++;
          this.column = 0;
          this.lineHasContent = false;
          continue;
        }
        if (this.escape) this.escape = false;
        else if (b === BYTE.backslash) this.escape = true;
        else if (b === BYTE.quote) this.inString = false;
        continue;
      }
      if (b === BYTE.newline) {
        this.line++;
        this.column = -1;
        this.lineHasContent = false;
      }
      this.column++;
      if (!isSpace(b)) {
        if (this.inElement && this.depth > 0 && b === BYTE.openBrace && !this.lineHasContent && this.column === this.elementColumn && this.lastNonSpace === BYTE.comma) {
          // An object opening a line at the element's own indentation after a comma is the next element: the
          // current one never closed (truncated). Cut it here so the rest of the array is not swallowed.
          this.take(chunk.subarray(from < 0 ? 0 : from, i));
          from = -1;
          yield* this.emit();
        }
        this.lineHasContent = true;
        this.lastNonSpace = b;
      }
      if (!this.inElement) {
        if (isSpace(b) || b === BYTE.comma) continue;
        if (b === BYTE.closeBracket) {
          this.ended = true;
          continue;
        }
        // content after the closing bracket: a stray `]` inside the array, so keep reading elements
        this.ended = false;
        this.inElement = true;
        this.elementLine = this.line;
        this.elementColumn = this.column;
        from = i;
      }
      if (b === BYTE.quote) this.inString = true;
      else if (b === BYTE.openBrace || b === BYTE.openBracket) this.depth++;
      else if (b === BYTE.closeBrace || b === BYTE.closeBracket || b === BYTE.comma) {
        if (this.depth === 0) {
          this.take(chunk.subarray(from < 0 ? 0 : from, i));
          from = -1;
          yield* this.emit();
          if (b === BYTE.closeBracket) this.ended = true;
          continue;
        }
        if (b !== BYTE.comma) this.depth--;
      }
    }
    if (this.inElement) this.take(chunk.subarray(from < 0 ? 0 : from));
  }

  /** The element left open at the end of the file (a truncated array), if any. */
  *end(): Generator<RawRecord> {
    if (!this.inElement) return;
    const unfinished = this.elementBytes > 0 && this.overflow === 0;
    for (const record of this.emit()) {
      if (!unfinished || record.skip?.reason === SKIP_CONTAINER.tooLong) yield record;
      else if (!record.skip && typeof record.value === 'object') {
        record.repairs.add('missing ] at the end of the JSON array');
        yield record;
      } else if (record.skip?.reason === SKIP_CONTAINER.brokenJson) {
        yield { ...record, skip: new TraceSkip(SKIP_CONTAINER.brokenJson, 'the array ends inside this element') };
      } else yield record;
    }
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

  private *emit(): Generator<RawRecord> {
    const bytes = Buffer.concat(this.element, this.elementBytes);
    const overflow = this.overflow;
    const line = this.elementLine;
    this.element = [];
    this.elementBytes = 0;
    this.overflow = 0;
    this.inElement = false;
    this.depth = 0;
    this.inString = false;
    this.escape = false;
    const record = parseJsonRecord(bytes, { line, row: this.rows.next }, overflow > 0 ? overflow : undefined, this.maxBytes);
    const resync = this.resync && record.skip?.reason === SKIP_CONTAINER.brokenJson ? resyncPoint(bytes, this.maxBytes) : undefined;
    if (!resync) {
      this.rows.next++;
      yield record;
      return;
    }
    // the broken head is one record; the rest is scanned again as array elements
    this.rows.next++;
    yield { ...parseJsonRecord(bytes.subarray(0, resync.at), { line, row: record.where.row }), where: record.where };
    const rest = new ArrayScanner(this.maxBytes, line + resync.newlines, true, this.rows);
    yield* rest.push(bytes.subarray(resync.at));
    yield* rest.end();
  }
}

/** The first later line of a broken element from which a fresh scan yields an element that parses. */
function resyncPoint(bytes: Buffer, maxBytes: number): { at: number; newlines: number } | undefined {
  let newlines = 0;
  let tries = 0;
  for (let p = bytes.indexOf(BYTE.newline); p >= 0 && tries < MAX_RESYNC_TRIES; p = bytes.indexOf(BYTE.newline, p + 1)) {
    newlines++;
    let q = p + 1;
    while (q < bytes.length && isSpace(bytes[q]) && bytes[q] !== BYTE.newline) q++;
    if (bytes[q] !== BYTE.openBrace) continue;
    tries++;
    const probe = new ArrayScanner(maxBytes, 1, true, { next: 0 }, false);
    const first = probe.push(bytes.subarray(q)).next();
    if (!first.done && !first.value.skip) return { at: q, newlines };
  }
  return undefined;
}

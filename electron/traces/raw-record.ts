/** What a container reader hands the importer: one input record, parsed or already known to be unusable. */
import { Repairs, TraceSkip } from './text';

export interface RecordPlace {
  line?: number;
  row?: number;
}

export interface RawRecord {
  where: RecordPlace;
  /** The parsed JSON value (JSON containers) or the text block (.md/.txt); absent when `skip` is set. */
  value?: unknown;
  skip?: TraceSkip;
  repairs: Repairs;
}

export interface ReadContext {
  /** Lines (or JSON array elements) longer than this are skipped without being parsed. */
  maxRecordBytes: number;
  signal?: AbortSignal;
  /** Bytes of the current file read so far. */
  onBytes(bytesInFile: number): void;
}

export const SKIP_CONTAINER = {
  tooLong: 'record longer than the size limit',
  notUtf8: 'not UTF-8',
  brokenJson: 'broken JSON',
  unreadable: 'unreadable file',
} as const;

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes bytes strictly (a bad byte skips the record rather than becoming U+FFFD in training data). */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

/** JSON text of one record → a RawRecord (BOM and a trailing CR are repairs, the rest named skips). */
export function parseJsonRecord(bytes: Uint8Array, where: RecordPlace, tooLongBytes?: number, maxBytes?: number): RawRecord {
  const repairs = new Repairs();
  if (tooLongBytes !== undefined) {
    const limit = maxBytes ? `${Math.round(maxBytes / 1e6)} MB` : 'the limit';
    return { where, repairs, skip: new TraceSkip(SKIP_CONTAINER.tooLong, `${tooLongBytes.toLocaleString('en-US')} bytes, over ${limit}`) };
  }
  let text = decodeUtf8(bytes);
  if (text === undefined) return { where, repairs, skip: new TraceSkip(SKIP_CONTAINER.notUtf8) };
  if (text.charCodeAt(0) === 0xfeff) {
    text = text.slice(1);
    repairs.add('byte order mark removed');
  }
  if (text.endsWith('\r')) {
    text = text.slice(0, -1);
    repairs.add('CRLF line endings');
  }
  try {
    return { where, repairs, value: JSON.parse(text) };
  } catch (error) {
    return { where, repairs, skip: new TraceSkip(SKIP_CONTAINER.brokenJson, String((error as Error).message).slice(0, 120)) };
  }
}

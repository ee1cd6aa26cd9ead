/**
 * Parquet through hyparquet, one row group at a time (the hub's files hold 100k+ rows; a row group is the unit the
 * format lets us read alone). A row group that cannot be decoded (an unsupported codec, a damaged page) counts all
 * its rows as skipped, named, and the next row group is still read.
 */
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, type FileMetaData } from 'hyparquet';
import { decodeUtf8, SKIP_CONTAINER, type RawRecord, type ReadContext } from './raw-record';
import { Repairs, TraceSkip } from './text';

export const SKIP_PARQUET = {
  badFile: 'not a readable Parquet file',
  badRowGroup: 'unreadable Parquet row group',
} as const;

/** Stands for a string whose bytes are not UTF-8 (hyparquet would put U+FFFD into training text silently). */
const NOT_UTF8 = Object.freeze({ notUtf8: true });
// hyparquet types the parser as returning a string; the marker object is found again by hasBadText below.
const parsers = { stringFromBytes: (bytes: Uint8Array) => (bytes && (decodeUtf8(bytes) ?? NOT_UTF8)) as string };

function hasBadText(value: unknown, depth = 0): boolean {
  if (value === NOT_UTF8) return true;
  if (depth > 8 || typeof value !== 'object' || value === null) return false;
  return Object.values(value).some((v) => hasBadText(v, depth + 1));
}

export async function* readParquetFile(file: string, ctx: ReadContext): AsyncGenerator<RawRecord> {
  const buffer = await asyncBufferFromFile(file);
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(buffer);
  } catch (error) {
    yield { where: {}, repairs: new Repairs(), skip: new TraceSkip(SKIP_PARQUET.badFile, (error as Error).message) };
    return;
  }
  let rowStart = 0;
  let bytesDone = 0;
  for (const group of metadata.row_groups) {
    ctx.signal?.throwIfAborted();
    const rows = Number(group.num_rows);
    const rowEnd = rowStart + rows;
    let objects: Record<string, unknown>[] | undefined;
    let failure: string | undefined;
    try {
      objects = await parquetReadObjects({ file: buffer, metadata, rowStart, rowEnd, parsers });
    } catch (error) {
      failure = (error as Error).message;
    }
    for (let i = 0; i < rows; i++) {
      const where = { row: rowStart + i };
      const value = objects?.[i];
      if (value === undefined) yield { where, repairs: new Repairs(), skip: new TraceSkip(SKIP_PARQUET.badRowGroup, failure ?? 'row missing') };
      else if (hasBadText(value)) yield { where, repairs: new Repairs(), skip: new TraceSkip(SKIP_CONTAINER.notUtf8) };
      else yield { where, repairs: new Repairs(), value };
    }
    objects = undefined;
    rowStart = rowEnd;
    bytesDone += Number(group.total_compressed_size ?? group.total_byte_size);
    ctx.onBytes(Math.min(bytesDone, buffer.byteLength));
  }
}

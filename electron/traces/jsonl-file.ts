/**
 * JSON Lines, streamed: lines are cut from 1 MB reads, so memory stays bounded whatever the file size. A line over
 * the size limit is dropped as it streams (never held whole) and reported as one skipped record.
 */
import { createReadStream } from 'node:fs';
import { parseJsonRecord, type RawRecord, type ReadContext } from './raw-record';

const NEWLINE = 0x0a;
const READ_SIZE = 1 << 20;

export async function* readJsonLines(file: string, ctx: ReadContext, startLine = 1): AsyncGenerator<RawRecord> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let overflow = 0; // bytes of the current line dropped for being too long
  let line = startLine;
  let bytesRead = 0;
  const finish = (): RawRecord | undefined => {
    const where = { line };
    const tooLong = overflow > 0 ? overflow + pendingBytes : undefined;
    const bytes = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    overflow = 0;
    line++;
    if (tooLong === undefined && isBlank(bytes)) return undefined;
    return parseJsonRecord(bytes, where, tooLong, ctx.maxRecordBytes);
  };
  const stream = createReadStream(file, { highWaterMark: READ_SIZE });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      ctx.signal?.throwIfAborted();
      let start = 0;
      while (start < chunk.length) {
        const end = chunk.indexOf(NEWLINE, start);
        const stop = end < 0 ? chunk.length : end;
        append(chunk.subarray(start, stop));
        if (end < 0) break;
        const record = finish();
        if (record) yield record;
        start = end + 1;
      }
      bytesRead += chunk.length;
      ctx.onBytes(bytesRead);
    }
  } finally {
    stream.destroy();
  }
  if (pendingBytes > 0 || overflow > 0) {
    const record = finish();
    if (record) yield record;
  }

  function append(part: Buffer): void {
    if (overflow > 0 || pendingBytes + part.length > ctx.maxRecordBytes) {
      overflow += pendingBytes + part.length;
      pending = [];
      pendingBytes = 0;
      return;
    }
    if (part.length) {
      pending.push(Buffer.from(part)); // a copy: the read buffer is reused
      pendingBytes += part.length;
    }
  }
}

function isBlank(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 0x20 && b !== 0x09 && b !== 0x0d) return false;
  return true;
}

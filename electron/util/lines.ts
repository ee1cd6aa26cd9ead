/**
 * The lines of a text file read in chunks, so a file of any size is never held whole (a JavaScript string stops at
 * about 512 MB). A line longer than `maxLineBytes` is not kept: it is reported by number and skipped.
 */
import { closeSync, openSync, readSync } from 'node:fs';

export type LineVisitor = (line: string, lineNumber: number) => void;

export const READ_CHUNK_BYTES = 4 * 1024 * 1024;

export function forEachLine(file: string, maxLineBytes: number, onLine: LineVisitor, onTooLong: (lineNumber: number) => void): void {
  const fd = openSync(file, 'r');
  const chunk = Buffer.allocUnsafe(READ_CHUNK_BYTES);
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let tooLong = false;
  let lineNumber = 1;
  const endLine = () => {
    if (tooLong) onTooLong(lineNumber);
    else onLine(decode(Buffer.concat(pending, pendingBytes), lineNumber), lineNumber);
    pending = [];
    pendingBytes = 0;
    tooLong = false;
    lineNumber++;
  };
  const keep = (bytes: Buffer) => {
    if (tooLong) return;
    if (pendingBytes + bytes.length > maxLineBytes) {
      tooLong = true;
      pending = [];
      pendingBytes = 0;
      return;
    }
    pending.push(Buffer.from(bytes)); // a copy: the chunk buffer is reused
    pendingBytes += bytes.length;
  };
  try {
    for (let n = readSync(fd, chunk, 0, chunk.length, null); n > 0; n = readSync(fd, chunk, 0, chunk.length, null)) {
      let start = 0;
      for (let nl = chunk.indexOf(10, start); nl !== -1 && nl < n; nl = chunk.indexOf(10, start)) {
        keep(chunk.subarray(start, nl));
        endLine();
        start = nl + 1;
      }
      keep(chunk.subarray(start, n));
    }
    if (pendingBytes > 0 || tooLong) endLine();
  } finally {
    closeSync(fd);
  }
}

/** UTF-8 without a byte-order mark on the first line, and without the \r of a Windows line end. */
function decode(bytes: Buffer, lineNumber: number): string {
  const text = bytes.toString('utf8');
  const noBom = lineNumber === 1 ? text.replace(/^\uFEFF/, '') : text;
  return noBom.endsWith('\r') ? noBom.slice(0, -1) : noBom;
}

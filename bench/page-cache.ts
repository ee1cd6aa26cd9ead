/**
 * Reads model files once, before anything is timed, so that their pages sit in the OS page cache. Both sides map their
 * weights (ONNX Runtime its external data, llama.cpp its GGUF) and read the token embedding a row at a time as tokens
 * first appear: with the file's pages out of the cache, each new token's row is a disk read inside a timed step (the
 * embedding `Gather` took 6.6 ms a step in ONNX Runtime's profiler on this VM's disk, 0.04 ms once cached), and which
 * side's file happened to be cached moved the comparison.
 */
import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';

const CHUNK = 16 * 1024 * 1024;

/** Every regular file under `dir`, recursively. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : entry.isFile() ? [path] : [];
  });
}

/** Reads each file start to end (the bytes are dropped; the page cache keeps them). */
export function warmPageCache(files: string[]): { bytes: number; seconds: number } {
  const started = performance.now();
  const buffer = Buffer.allocUnsafe(CHUNK);
  let bytes = 0;
  for (const file of files) {
    const fd = openSync(file, 'r');
    try {
      for (let at = 0, size = statSync(file).size; at < size; ) {
        const n = readSync(fd, buffer, 0, CHUNK, at);
        if (n === 0) break;
        at += n;
        bytes += n;
      }
    } finally {
      closeSync(fd);
    }
  }
  return { bytes, seconds: (performance.now() - started) / 1000 };
}

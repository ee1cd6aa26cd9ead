/**
 * Reads model files once, before anything is timed, so that their pages sit in the OS page cache. Both sides map their
 * weights (ONNX Runtime its external data, llama.cpp its GGUF) and read the token embedding a row at a time as tokens
 * first appear: with the file's pages out of the cache, each new token's row is a disk read inside a timed step (the
 * embedding `Gather` took 6.6 ms a step in ONNX Runtime's profiler on this VM's disk, 0.04 ms once cached), and which
 * side's file happened to be cached moved the comparison.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readRanges } from '../electron/generate/embedding-readahead';

/** Every regular file under `dir`, recursively. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : entry.isFile() ? [path] : [];
  });
}

/** Reads each file start to end (the bytes are dropped; the page cache keeps them), as a CPU load reads its embedding. */
export async function warmPageCache(files: string[]): Promise<{ bytes: number; seconds: number }> {
  const started = performance.now();
  const bytes = await readRanges(files.map((file) => ({ file, offset: 0, length: statSync(file).size })));
  return { bytes, seconds: (performance.now() - started) / 1000 };
}

/** app.* methods. */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ServiceModule } from './context';

export const LOG_FILE_NAME = 'distillery.log';
/** How much of the log's end Settings shows. */
export const LOG_TAIL_BYTES = 64 * 1024;

/** The last `bytes` of a file, starting at a line; empty when the file does not exist yet. */
export async function readLogTail(file: string, bytes = LOG_TAIL_BYTES): Promise<{ text: string; truncated: boolean }> {
  let handle;
  try {
    handle = await fs.open(file, 'r');
  } catch {
    return { text: '', truncated: false };
  }
  try {
    const { size } = await handle.stat();
    const start = Math.max(0, size - bytes);
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    const text = buffer.toString('utf8');
    return { text: start > 0 ? text.slice(text.indexOf('\n') + 1) : text, truncated: start > 0 };
  } finally {
    await handle.close();
  }
}

export const appService: ServiceModule = (ctx) => {
  const logFile = path.join(ctx.paths.logs, LOG_FILE_NAME);
  return {
    handlers: {
      'app.info': async () => ({ version: ctx.version, dataDir: ctx.paths.root, logFile, transport: ctx.transport }),
      'app.log': async () => ({ file: logFile, ...(await readLogTail(logFile)) }),
    },
  };
};

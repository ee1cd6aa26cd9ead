/**
 * Serves the built renderer (out/renderer) with SPA fallback to index.html and no way out of the folder.
 *
 * Hand-written rather than sirv: sirv 3 pipes `createReadStream` into the response without an error handler (the very
 * crash this file once had: a file removed between lookup and read, e.g. by `npm run build`, killed the process),
 * stats files synchronously, and checks the root by string prefix only, so a symlink could lead out of it. Here a
 * request that fails answers 404/500 or drops its own connection, and nothing else.
 */
import { createReadStream, existsSync, fstat, type ReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import path from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

const NOT_BUILT_PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>Distillery</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; line-height: 1.5">
<h1>Distillery's interface is not built yet</h1>
<p>Run <code>npm run build</code> in the Distillery folder, then reload this page.
The API is already running.</p></body></html>`;

export async function serveStatic(res: ServerResponse, root: string, pathname: string, headOnly: boolean): Promise<void> {
  if (!existsSync(path.join(root, 'index.html'))) return sendHtml(res, 503, NOT_BUILT_PAGE, headOnly);
  const file = await resolveFile(root, pathname);
  if (file === 'forbidden') return sendText(res, 404, 'Not found.', headOnly);
  const target = file ?? (path.extname(pathname) === '' ? path.join(root, 'index.html') : undefined);
  if (!target) return sendText(res, 404, 'Not found.', headOnly);
  // The file may change between the lookup above and here: its size comes from the opened file, and an error before
  // the headers answers 404 (gone) or 500, after them it drops only this response.
  const stream = createReadStream(target);
  stream.on('error', () => res.headersSent && res.destroy()); // from here on no stream error goes unhandled
  let size: number;
  try {
    size = await openedSize(stream);
    if (stream.destroyed) throw stream.errored ?? new Error('the file stream closed before it was read');
  } catch (error) {
    stream.destroy();
    const gone = (error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'EISDIR';
    return sendText(res, gone ? 404 : 500, gone ? 'Not found.' : 'The file could not be read.', headOnly);
  }
  const isAsset = target.includes(`${path.sep}assets${path.sep}`);
  res.writeHead(200, {
    'Content-Type': CONTENT_TYPES[path.extname(target).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': size,
    'Cache-Control': isAsset ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  if (headOnly) {
    stream.destroy();
    res.end();
    return;
  }
  res.on('close', () => stream.destroy());
  stream.pipe(res);
}

/** Resolves with the size of the file the stream opened; rejects when it cannot be opened or fails before that. */
function openedSize(stream: ReadStream): Promise<number> {
  let onError: (error: Error) => void = () => {};
  return new Promise<number>((resolve, reject) => {
    onError = reject;
    stream.once('error', onError);
    stream.once('open', (fd: number) => {
      fstat(fd, (error, info) => {
        if (error) reject(error);
        else if (!info.isFile()) reject(Object.assign(new Error('not a file'), { code: 'EISDIR' }));
        else resolve(info.size);
      });
    });
  }).finally(() => stream.removeListener('error', onError));
}

/** The file for `pathname` inside root; undefined when there is none; 'forbidden' when it points outside root. */
async function resolveFile(root: string, pathname: string): Promise<string | 'forbidden' | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return 'forbidden';
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return 'forbidden';
  const realRoot = await realpath(root);
  const candidate = path.resolve(realRoot, '.' + path.posix.normalize('/' + decoded));
  if (!isInside(realRoot, candidate)) return 'forbidden';
  for (const file of [candidate, path.join(candidate, 'index.html')]) {
    try {
      const real = await realpath(file);
      if (!isInside(realRoot, real)) return 'forbidden'; // a symlink pointing out
      if ((await stat(real)).isFile()) return real;
    } catch {
      // not there: try the next candidate
    }
  }
  return undefined;
}

function isInside(root: string, file: string): boolean {
  return file === root || file.startsWith(root + path.sep);
}

function sendHtml(res: ServerResponse, status: number, html: string, headOnly: boolean): void {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(headOnly ? undefined : html);
}

function sendText(res: ServerResponse, status: number, text: string, headOnly: boolean): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(headOnly ? undefined : text);
}

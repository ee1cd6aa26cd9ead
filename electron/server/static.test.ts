// The static server when files change under it: a request that fails answers 404/500 or drops only its own
// connection; the server keeps answering (a build running while a page loads once killed the whole process).
import http from 'node:http';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

/** Per-test hook run when the server opens a file: it can remove the file first, or hand back a failing stream. */
const onOpen = vi.hoisted(() => ({ current: undefined as ((file: string) => Readable | void) | undefined }));
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const createReadStream = ((file: string, options?: unknown) => {
    const replaced = onOpen.current?.(String(file));
    return replaced ?? real.createReadStream(file, options as never);
  }) as typeof real.createReadStream;
  return { ...real, default: { ...real, createReadStream }, createReadStream };
});

const { serveStatic } = await import('./static');

let root: string;
let server: http.Server;
let port: number;

function get(pathname: string): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    http
      .get({ host: '127.0.0.1', port, path: pathname, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
        res.on('error', (error) => resolve({ error: error.message }));
      })
      .on('error', (error) => resolve({ error: error.message }));
  });
}

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'distillery-static-'));
  mkdirSync(path.join(root, 'assets'));
  writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>ui</title>');
  server = http.createServer((req, res) => void serveStatic(res, root, new URL(req.url!, 'http://x').pathname, false));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(root, { recursive: true, force: true });
});

describe('static files that change while they are served', () => {
  it('a file removed between lookup and read answers 404, and the server stays up', async () => {
    const file = path.join(root, 'assets', 'vanish.js');
    writeFileSync(file, 'console.log(1)');
    onOpen.current = (opened) => {
      if (opened === file) rmSync(opened);
    };
    expect(await get('/assets/vanish.js')).toEqual({ status: 404, body: 'Not found.' });
    onOpen.current = undefined;
    expect(await get('/index.html')).toEqual({ status: 200, body: '<!doctype html><title>ui</title>' });
  });

  it('a read that fails after the headers drops only that response', async () => {
    const file = path.join(root, 'assets', 'big.js');
    writeFileSync(file, 'x'.repeat(1000));
    const fd = openSync(file, 'r');
    const failing = new Readable({ read() {} });
    onOpen.current = () => {
      setImmediate(() => {
        failing.emit('open', fd); // opened fine (1000 bytes), the first bytes read…
        failing.push('partial');
      });
      return failing;
    };
    const broken = await new Promise<string>((resolve) => {
      http
        .get({ host: '127.0.0.1', port, path: '/assets/big.js', agent: false }, (res) => {
          expect(res.statusCode).toBe(200);
          res.on('data', () => undefined);
          res.on('error', (error) => resolve(error.message));
          res.on('end', () => resolve('ended'));
          // …then the disk fails mid-read, after the headers went out
          failing.destroy(Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' }));
        })
        .on('error', (error) => resolve(error.message));
    });
    onOpen.current = undefined;
    closeSync(fd);
    expect(broken).toBe('aborted');
    expect(await get('/index.html')).toEqual({ status: 200, body: '<!doctype html><title>ui</title>' });
  });

  it('a read that fails before the headers answers 500', async () => {
    writeFileSync(path.join(root, 'assets', 'early.js'), 'x');
    onOpen.current = () => {
      const failing = new Readable({ read() {} });
      setImmediate(() => failing.destroy(Object.assign(new Error('EIO: i/o error, open'), { code: 'EIO' })));
      return failing;
    };
    expect(await get('/assets/early.js')).toEqual({ status: 500, body: 'The file could not be read.' });
    onOpen.current = undefined;
  });
});

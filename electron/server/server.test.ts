import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineHost } from '../engine/host';
import { nodeEngineSpawner } from '../engine/spawn-node';
import { createServices, type Services } from '../services';
import { startServer, type RunningServer } from './server';

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function rawRequest(
  port: number,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method: options.method ?? 'GET', path: options.path, headers: options.headers },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('headless server', () => {
  let root: string;
  let engine: EngineHost;
  let services: Services;
  let server: RunningServer;
  const auth = () => ({ Authorization: `Bearer ${server.token}` });
  const call = (method: string, body: unknown, headers: Record<string, string> = auth()) =>
    rawRequest(server.port, {
      method: 'POST',
      path: `/api/call/${method}`,
      headers: { 'Content-Type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'distillery-server-'));
    const staticDir = path.join(root, 'renderer');
    mkdirSync(path.join(staticDir, 'assets'), { recursive: true });
    writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>Distillery UI</title>');
    writeFileSync(path.join(staticDir, 'assets', 'app.js'), 'console.log("app")');
    writeFileSync(path.join(root, 'secret.txt'), 'TOP SECRET');
    engine = new EngineHost({ spawn: nodeEngineSpawner() });
    services = createServices({ dataDir: path.join(root, 'data'), engineHost: engine, transport: 'http' });
    await engine.start();
    server = await startServer({
      services,
      staticDir,
      routes: [{ method: 'GET', path: '/v1/echo/:word', handle: (ctx) => ctx.sendJson(200, { word: ctx.params.word }) }],
    });
  });
  afterAll(async () => {
    await server.close();
    await engine.stop();
    await services.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('listens on 127.0.0.1 with a fresh 32-byte base64url token', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect(server.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(server.openUrl).toBe(`${server.url}/?token=${server.token}`);
  });

  it('never closes an idle keep-alive socket under a client that reuses it late (the flaky `other side closed`)', async () => {
    // One socket, two requests: the second after 5.5 s idle, as fetch does when a loaded machine delays its reading
    // of the first response past the server's advertised 5 s.
    const socket = net.connect(server.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    let received = '';
    let closedAt: number | undefined;
    socket.setEncoding('utf8').on('data', (chunk) => (received += chunk));
    socket.on('close', () => (closedAt = Date.now()));
    const request = `GET /index.html HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nConnection: keep-alive\r\n\r\n`;
    socket.write(request);
    while (!received.includes('Distillery UI')) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(received).not.toMatch(/^Keep-Alive: timeout/im); // nothing promised that the server would not keep
    await new Promise((resolve) => setTimeout(resolve, 5500));
    expect(closedAt).toBeUndefined();
    received = '';
    socket.write(request);
    while (!received.includes('Distillery UI') && closedAt === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(received).toMatch(/^HTTP\/1\.1 200 OK/);
    socket.destroy();
  }, 20_000);

  it('answers 401 without a token or with a wrong one', async () => {
    expect((await call('app.info', {}, {})).status).toBe(401);
    expect((await call('app.info', {}, { Authorization: 'Bearer wrong' })).status).toBe(401);
    const missing = await rawRequest(server.port, { path: '/api/events?token=wrong' });
    expect(missing.status).toBe(401);
    expect(JSON.parse(missing.body).error.code).toBe('unauthorized');
    expect((await rawRequest(server.port, { path: '/v1/echo/hi' })).status).toBe(401);
  });

  it('answers 200 with the token in the header or the query', async () => {
    const viaHeader = await call('app.info', {});
    expect(viaHeader.status).toBe(200);
    expect(JSON.parse(viaHeader.body)).toMatchObject({ transport: 'http' });
    const viaQuery = await rawRequest(server.port, {
      method: 'POST',
      path: `/api/call/engine.status?token=${server.token}`,
      body: '{}',
    });
    expect(viaQuery.status).toBe(200);
    expect(JSON.parse(viaQuery.body).state).toBe('ready');
    const registered = await rawRequest(server.port, { path: '/v1/echo/h%C3%A9', headers: auth() });
    expect(JSON.parse(registered.body)).toEqual({ word: 'hé' });
  });

  it('answers 403 for a foreign Origin or Host, even with the token', async () => {
    const foreignOrigin = await call('app.info', {}, { ...auth(), Origin: 'http://evil.example' });
    expect(foreignOrigin.status).toBe(403);
    const otherPort = await call('app.info', {}, { ...auth(), Origin: `http://127.0.0.1:${server.port + 1}` });
    expect(otherPort.status).toBe(403);
    const ownOrigin = await call('app.info', {}, { ...auth(), Origin: `http://localhost:${server.port}` });
    expect(ownOrigin.status).toBe(200);
    const foreignHost = await call('app.info', {}, { ...auth(), Host: `evil.example:${server.port}` });
    expect(foreignHost.status).toBe(403);
    const rebindStatic = await rawRequest(server.port, { path: '/', headers: { Host: 'attacker.test' } });
    expect(rebindStatic.status).toBe(403);
    const localhost = await rawRequest(server.port, { path: '/', headers: { Host: `localhost:${server.port}` } });
    expect(localhost.status).toBe(200);
  });

  it('maps API errors to 400/404 and limits bodies to 1 MB', async () => {
    const bad = await call('jobs.startDiagnostics', { steps: 'many' });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error).toMatchObject({ code: 'bad_request', message: expect.stringContaining('steps') });
    expect((await call('no.such', {})).status).toBe(404);
    const notJson = await rawRequest(server.port, { method: 'POST', path: '/api/call/app.info', headers: auth(), body: '{' });
    expect(notJson.status).toBe(400);
    const huge = await call('app.info', { pad: 'x'.repeat(1024 * 1024) });
    expect(huge.status).toBe(413);
    expect((await rawRequest(server.port, { path: '/api/call/app.info', headers: auth() })).status).toBe(405);
    expect((await rawRequest(server.port, { path: '/api/nothing', headers: auth() })).status).toBe(404);
  });

  it('streams job updates over SSE', async () => {
    const events: Array<{ event: string; data: { id?: string; state?: string } }> = [];
    let jobId = '';
    await new Promise<void>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: server.port, path: `/api/events?token=${server.token}` }, (res) => {
        expect(res.headers['content-type']).toContain('text/event-stream');
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', async (chunk: string) => {
          buffer += chunk;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const name = /^event: (.+)$/m.exec(block)?.[1];
            const data = /^data: (.+)$/m.exec(block)?.[1];
            if (name && data) events.push({ event: name, data: JSON.parse(data) });
          }
          if (events.length === 1 && !jobId) {
            jobId = JSON.parse((await call('jobs.startDiagnostics', { steps: 3, stepMs: 10 })).body).id;
          }
          if (events.some((e) => e.event === 'job.update' && e.data.id === jobId && e.data.state === 'succeeded')) {
            req.destroy();
            resolve();
          }
        });
      });
      req.on('error', (error) => (jobId ? undefined : reject(error)));
    });
    expect(events[0]).toMatchObject({ event: 'engine.status', data: { state: 'ready' } });
    expect(events.filter((e) => e.event === 'job.update').at(0)?.data).toMatchObject({ id: jobId, state: 'running' });
  });

  it('sends SSE heartbeats and detaches from the services when the client goes', async () => {
    const fast = await startServer({ services, heartbeatMs: 20, staticDir: path.join(root, 'renderer') });
    const before = services.events.listenerCount();
    try {
      const received = await new Promise<string>((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port: fast.port, path: `/api/events?token=${fast.token}` }, (res) => {
          let text = '';
          res.on('data', (chunk) => {
            text += chunk;
            if (text.includes(': heartbeat')) {
              req.destroy();
              resolve(text);
            }
          });
        });
        req.on('error', (error) => (error.message.includes('aborted') || error.message.includes('socket hang up') ? undefined : reject(error)));
      });
      expect(received).toContain('event: engine.status');
      const deadline = Date.now() + 5000;
      while (services.events.listenerCount() > before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(services.events.listenerCount()).toBe(before);
    } finally {
      await fast.close();
    }
  });

  it('serves the renderer with CSP, SPA fallback and no path traversal', async () => {
    const index = await rawRequest(server.port, { path: '/?token=abc' });
    expect(index.status).toBe(200);
    expect(index.body).toContain('Distillery UI');
    expect(index.headers['content-security-policy']).toContain("default-src 'self'");
    expect(index.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    expect((await rawRequest(server.port, { path: '/settings' })).body).toContain('Distillery UI');
    const asset = await rawRequest(server.port, { path: '/assets/app.js' });
    expect(asset.headers['content-type']).toContain('text/javascript');
    expect((await rawRequest(server.port, { path: '/assets/missing.js' })).status).toBe(404);
    for (const attack of ['/../secret.txt', '/..%2fsecret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/..%5csecret.txt']) {
      const response = await rawRequest(server.port, { path: attack });
      expect(response.body, attack).not.toContain('TOP SECRET');
    }
  });

  it('says to run npm run build when the renderer is missing', async () => {
    const bare = await startServer({ services, staticDir: path.join(root, 'nothing-here') });
    try {
      const page = await rawRequest(bare.port, { path: '/' });
      expect(page.status).toBe(503);
      expect(page.body).toContain('npm run build');
    } finally {
      await bare.close();
    }
  });
});

/**
 * A Hugging Face hub for the tests: a real HTTP server on 127.0.0.1 with the endpoints @huggingface/hub calls
 * (read from its source): GET /api/models/{repo}/revision/{rev} (modelInfo: the commit sha), GET
 * /api/models/{repo}/tree/{rev}?recursive= (listFiles, paged by a Link header), POST /api/models/{repo}/paths-info/{rev},
 * and GET/HEAD /{repo}/resolve/{rev}/{path} (fileDownloadInfo probes it with Range: bytes=0-0 and the Xet Accept
 * header; WebBlob fetches it with or without Range). LFS files redirect (302) to a storage server on another port,
 * a different origin as the hub's CDN is, which serves Range requests with ETag and Content-Range. A file marked Xet
 * answers the Xet file-info probe with its hash and links, like the hub, and plain bytes otherwise.
 *
 * Faults, each for a number of requests: drop the connection after N bytes of a file, send a wrong byte, answer a
 * status (401/404/500) for a file or the API, stream slowly, add a dangerous path (`../evil`) to a listing. Every
 * request is logged with its Range header, so tests can prove which bytes were fetched again.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export interface EmulatedFile {
  path: string;
  data: Buffer;
  lfs: boolean;
  sha256: string;
  gitOid: string;
  xet: boolean;
}

export interface EmulatedRepo {
  id: string;
  commit: string;
  files: Map<string, EmulatedFile>;
  /** Requests need `Authorization: Bearer <token>`: 401 without, 403 with another. */
  gatedToken?: string;
  /** Extra listing entries, e.g. a path escaping the folder. */
  extraListing: Record<string, unknown>[];
}

export interface Fault {
  /** Which requests: a file path (resolve or storage), or 'api' for the JSON endpoints. */
  target: string;
  /** How many matching requests it affects (default 1). */
  times?: number;
  /** Close the socket after this many body bytes. */
  dropAfterBytes?: number;
  /** Flip the byte at this offset of the file (if the response covers it). */
  corruptAt?: number;
  /** Answer this status instead. */
  status?: number;
  /** Send at most this many bytes per second. */
  bytesPerSecond?: number;
}

export interface LoggedRequest {
  method: string;
  url: string;
  server: 'hub' | 'storage';
  range?: string;
  status?: number;
  /** Body bytes sent (until the end or a drop). */
  sentBytes: number;
}

export interface HubEmulator {
  url: string;
  storageUrl: string;
  repos: Map<string, EmulatedRepo>;
  requests: LoggedRequest[];
  addRepo(id: string, files: Record<string, Buffer | string>, options?: { gatedToken?: string; xet?: string[]; commit?: string }): EmulatedRepo;
  addRepoFromFolder(id: string, dir: string, options?: { gatedToken?: string; xet?: string[] }): EmulatedRepo;
  addFault(fault: Fault): void;
  clearFaults(): void;
  /** Listing page size (small values exercise the Link pagination). */
  pageSize: number;
  close(): Promise<void>;
}

const LFS_PATTERN = /\.(safetensors|onnx|onnx_data(_\d+)?|bin|gguf)$/;

/** Deterministic bytes (a seeded xorshift), for generated weights. */
export function generatedBytes(size: number, seed = 1): Buffer {
  const out = Buffer.alloc(size);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

export function gitBlobOid(data: Buffer): string {
  return createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');
}

export async function startHubEmulator(): Promise<HubEmulator> {
  const repos = new Map<string, EmulatedRepo>();
  const faults: (Fault & { left: number })[] = [];
  const requests: LoggedRequest[] = [];
  const state = { pageSize: 50 };
  let storageOrigin = '';

  const takeFault = (target: string): Fault | undefined => {
    const fault = faults.find((f) => f.target === target && f.left > 0);
    if (fault) fault.left--;
    return fault;
  };

  const hub = http.createServer((req, res) => {
    const entry = log(requests, req, 'hub', res);
    try {
      routeHub(req, res, entry);
    } catch (error) {
      sendJson(res, 500, { error: (error as Error).message });
    }
  });
  const storage = http.createServer((req, res) => {
    const entry = log(requests, req, 'storage', res);
    const url = new URL(req.url ?? '/', 'http://x');
    const match = /^\/blobs\/([^/]+)\/([0-9a-f]{64})$/.exec(url.pathname);
    const repo = match && repos.get(decodeURIComponent(match[1]));
    const file = repo && [...repo.files.values()].find((f) => f.sha256 === match![2]);
    if (!file) return sendJson(res, 404, { error: 'Entry not found' });
    serveBytes(req, res, file, isProbe(req) ? undefined : takeFault(file.path), entry);
  });

  function routeHub(req: http.IncomingMessage, res: http.ServerResponse, entry: LoggedRequest): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/(revision|tree|paths-info)\/([^/]+)(?:\/(.*))?$/.exec(url.pathname);
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    const repoId = decodeURIComponent((api ?? resolve)?.[1] ?? '');
    const repo = repos.get(repoId);
    if (!api && !resolve) return sendJson(res, 404, { error: 'Not found' });
    if (!repo) return sendJson(res, 404, { error: 'Repository not found' }, { 'X-Error-Code': 'RepoNotFound' });
    const denied = checkAuth(req, repo);
    if (denied) return sendJson(res, denied, { error: denied === 401 ? `Access to model ${repo.id} is restricted. You must have access to it and be authenticated to access it.` : 'Invalid credentials' });
    if (api) {
      const fault = takeFault('api');
      if (fault?.status) return sendJson(res, fault.status, { error: `emulated ${fault.status}` });
      const revision = decodeURIComponent(api[3]);
      if (revision !== 'main' && revision !== 'HEAD' && revision !== repo.commit) return sendJson(res, 404, { error: `Invalid rev id: ${revision}` }, { 'X-Error-Code': 'RevisionNotFound' });
      if (api[2] === 'revision') return sendJson(res, 200, modelInfoJson(repo));
      if (api[2] === 'tree') return sendTree(res, repo, url, state.pageSize);
      void readBody(req).then((body) => {
        const wanted = (JSON.parse(body || '{}') as { paths?: string[] }).paths ?? [];
        sendJson(res, 200, wanted.map((p) => repo.files.get(p)).filter(Boolean).map((f) => treeEntry(f!)));
      });
      return;
    }
    const [, , revision, filePath] = resolve!;
    const file = repo.files.get(decodeURIComponent(filePath));
    if (!file || (revision !== 'main' && revision !== repo.commit)) return sendJson(res, 404, { error: 'Entry not found' }, { 'X-Error-Code': 'EntryNotFound' });
    const common = { 'X-Repo-Commit': repo.commit, 'X-Linked-Size': String(file.data.length), 'X-Linked-ETag': `"${file.lfs ? file.sha256 : file.gitOid}"` };
    if (file.xet && String(req.headers.accept ?? '').includes('application/vnd.xet-fileinfo+json')) {
      const base = `http://${req.headers.host}`;
      res.writeHead(200, {
        ...common,
        'Content-Type': 'application/vnd.xet-fileinfo+json',
        'X-Xet-Hash': createHash('sha256').update('xet').update(file.data).digest('hex'),
        Link: `<${base}/api/models/${repo.id}/xet-read-token/${repo.commit}>; rel="xet-auth", <${base}/v1/reconstructions/x>; rel="xet-reconstruction-info"`,
      });
      entry.status = 200;
      return void res.end('{}');
    }
    if (file.lfs) {
      const fault = faults.find((f) => f.target === file.path && f.left > 0 && f.status !== undefined);
      if (fault) {
        fault.left--;
        return sendJson(res, fault.status!, { error: `emulated ${fault.status}` });
      }
      entry.status = 302;
      res.writeHead(302, { ...common, Location: `${storageOrigin}/blobs/${encodeURIComponent(repo.id)}/${file.sha256}`, ETag: `"${file.sha256}"` });
      return void res.end();
    }
    serveBytes(req, res, file, isProbe(req) ? undefined : takeFault(file.path), entry, common);
  }

  await Promise.all([listen(hub), listen(storage)]);
  storageOrigin = `http://127.0.0.1:${(storage.address() as AddressInfo).port}`;

  const emulator: HubEmulator = {
    url: `http://127.0.0.1:${(hub.address() as AddressInfo).port}`,
    storageUrl: storageOrigin,
    repos,
    requests,
    get pageSize() {
      return state.pageSize;
    },
    set pageSize(n: number) {
      state.pageSize = n;
    },
    addRepo(id, files, options = {}) {
      const entries = new Map<string, EmulatedFile>();
      for (const [p, content] of Object.entries(files)) {
        const data = typeof content === 'string' ? Buffer.from(content) : content;
        entries.set(p, {
          path: p,
          data,
          lfs: LFS_PATTERN.test(p) || data.length > 64 * 1024,
          sha256: createHash('sha256').update(data).digest('hex'),
          gitOid: gitBlobOid(data),
          xet: options.xet?.includes(p) ?? false,
        });
      }
      const commit = options.commit ?? createHash('sha1').update(id).update([...entries.values()].map((f) => f.gitOid).join()).digest('hex');
      const repo: EmulatedRepo = { id, commit, files: entries, extraListing: [], ...(options.gatedToken ? { gatedToken: options.gatedToken } : {}) };
      repos.set(id, repo);
      return repo;
    },
    addRepoFromFolder(id, dir, options) {
      const files: Record<string, Buffer> = {};
      const walk = (sub: string) => {
        for (const e of fs.readdirSync(path.join(dir, sub), { withFileTypes: true })) {
          const rel = sub ? `${sub}/${e.name}` : e.name;
          if (e.isDirectory()) walk(rel);
          else files[rel] = fs.readFileSync(path.join(dir, rel));
        }
      };
      walk('');
      return emulator.addRepo(id, files, options);
    },
    addFault(fault) {
      faults.push({ ...fault, left: fault.times ?? 1 });
    },
    clearFaults() {
      faults.length = 0;
    },
    close: () => Promise.all([close(hub), close(storage)]).then(() => undefined),
  };
  return emulator;
}

/** The client's size probe (Range: bytes=0-0) before each download: faults apply to the transfers. */
function isProbe(req: http.IncomingMessage): boolean {
  return req.headers.range === 'bytes=0-0';
}

function checkAuth(req: http.IncomingMessage, repo: EmulatedRepo): number | undefined {
  if (!repo.gatedToken) return undefined;
  const auth = req.headers.authorization;
  if (!auth) return 401;
  return auth === `Bearer ${repo.gatedToken}` ? undefined : 403;
}

function treeEntry(f: EmulatedFile): Record<string, unknown> {
  return {
    type: 'file',
    oid: f.gitOid,
    size: f.data.length,
    path: f.path,
    ...(f.lfs ? { lfs: { oid: f.sha256, size: f.data.length, pointerSize: 134 } } : {}),
    ...(f.xet ? { xetHash: createHash('sha256').update('xet').update(f.data).digest('hex') } : {}),
  };
}

function modelInfoJson(repo: EmulatedRepo): Record<string, unknown> {
  return {
    _id: repo.commit.slice(0, 24),
    id: repo.id,
    sha: repo.commit,
    private: false,
    gated: repo.gatedToken ? 'auto' : false,
    downloads: 0,
    likes: 0,
    lastModified: '2025-01-20T00:00:00.000Z',
    pipeline_tag: 'text-generation',
    siblings: [...repo.files.keys()].map((rfilename) => ({ rfilename })),
  };
}

function sendTree(res: http.ServerResponse, repo: EmulatedRepo, url: URL, pageSize: number): void {
  const all = [...[...repo.files.values()].map(treeEntry), ...repo.extraListing];
  const cursor = Number(url.searchParams.get('cursor') ?? 0);
  const page = all.slice(cursor, cursor + pageSize);
  const headers: Record<string, string> = {};
  if (cursor + pageSize < all.length) {
    const next = new URL(url.toString());
    next.searchParams.set('cursor', String(cursor + pageSize));
    headers.Link = `<http://${res.req.headers.host}${next.pathname}${next.search}>; rel="next"`;
  }
  sendJson(res, 200, page, headers);
}

/** 200 with the whole file, or 206 for a Range; faults drop, corrupt, slow or replace the answer. */
function serveBytes(req: http.IncomingMessage, res: http.ServerResponse, file: EmulatedFile, fault: Fault | undefined, entry: LoggedRequest, extra: Record<string, string> = {}): void {
  if (fault?.status) return sendJson(res, fault.status, { error: `emulated ${fault.status}` });
  const size = file.data.length;
  const range = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers.range ?? ''));
  const start = range ? Number(range[1]) : 0;
  const end = range && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
  if (range && start >= size) {
    entry.status = 416;
    res.writeHead(416, { 'Content-Range': `bytes */${size}` });
    return void res.end();
  }
  let body = file.data.subarray(start, end + 1);
  if (fault?.corruptAt !== undefined && fault.corruptAt >= start && fault.corruptAt <= end) {
    body = Buffer.from(body);
    body[fault.corruptAt - start] ^= 0xff;
  }
  const etag = `"${file.lfs ? file.sha256 : file.gitOid}"`;
  const headers: Record<string, string> = { ...extra, ETag: etag, 'Accept-Ranges': 'bytes', 'Content-Type': 'application/octet-stream', 'Content-Length': String(body.length) };
  if (range) headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
  entry.status = range ? 206 : 200;
  res.writeHead(entry.status, headers);
  if (req.method === 'HEAD') return void res.end();
  void streamBody(res, body, fault, entry);
}

async function streamBody(res: http.ServerResponse, body: Buffer, fault: Fault | undefined, entry: LoggedRequest): Promise<void> {
  const chunk = fault?.bytesPerSecond ? Math.max(1, Math.floor(fault.bytesPerSecond / 20)) : 64 * 1024;
  for (let offset = 0; offset < body.length; offset += chunk) {
    let piece = body.subarray(offset, Math.min(body.length, offset + chunk));
    if (fault?.dropAfterBytes !== undefined && entry.sentBytes + piece.length > fault.dropAfterBytes) {
      piece = piece.subarray(0, Math.max(0, fault.dropAfterBytes - entry.sentBytes));
      if (piece.length) await write(res, piece);
      entry.sentBytes += piece.length;
      res.socket?.destroy();
      return;
    }
    if (!(await write(res, piece))) return;
    entry.sentBytes += piece.length;
    if (fault?.bytesPerSecond) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  res.end();
}

function write(res: http.ServerResponse, piece: Buffer): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    res.write(piece, (error) => resolve(!error && !res.destroyed));
  });
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function log(requests: LoggedRequest[], req: http.IncomingMessage, server: LoggedRequest['server'], res: http.ServerResponse): LoggedRequest {
  const entry: LoggedRequest = { method: req.method ?? 'GET', url: req.url ?? '/', server, sentBytes: 0, ...(req.headers.range ? { range: String(req.headers.range) } : {}) };
  res.on('finish', () => (entry.status ??= res.statusCode));
  requests.push(entry);
  return entry;
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve(body)).on('error', reject);
  });
}

function listen(server: http.Server): Promise<void> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
}

function close(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

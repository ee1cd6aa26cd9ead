/**
 * Downloads against the hub emulator (a real HTTP server): cache layout, pagination, resume after a dropped
 * connection and after the process was killed, checksum failures, a full disk, unsafe listing paths, gated repos.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tsxExecArgv } from '../engine/entry';
import { generatedBytes, startHubEmulator, type HubEmulator } from '../testing/hub-emulator';
import { downloadRepo, type DownloadOptions } from './downloader';
import { DownloadError } from './errors';
import { blobPath, incompletePath, repoCache } from './hub-cache';
import type { DownloadProgress } from './progress';
import { repoLockPath } from './repo-lock';

const REPO = 'deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B';
const WEIGHTS = generatedBytes(3 * 1024 * 1024 + 123, 7);
const SHARD2 = generatedBytes(2 * 1024 * 1024 + 5, 8);
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

let hub: HubEmulator;
let cacheDir: string;

beforeEach(async () => {
  hub = await startHubEmulator();
  hub.pageSize = 2; // the listing takes several pages: the Link header must be followed
  cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-hub-cache-'));
  hub.addRepo(REPO, {
    'config.json': JSON.stringify({ model_type: 'qwen2' }),
    'tokenizer.json': '{"model":{}}',
    'model-00001-of-00002.safetensors': WEIGHTS,
    'model-00002-of-00002.safetensors': SHARD2,
    'model.safetensors.index.json': '{"weight_map":{}}',
    'pytorch_model.bin': generatedBytes(1000, 3), // not needed for a safetensors download
  }, { xet: ['model-00002-of-00002.safetensors'] });
});

afterEach(async () => {
  await hub.close();
  fs.rmSync(cacheDir, { recursive: true, force: true });
});

const options = (extra: Partial<DownloadOptions> = {}): DownloadOptions => ({
  repo: REPO, cacheDir, hub: { hubUrl: hub.url }, minFreeBytes: 0, retryDelayMs: 10, ...extra,
});
const rc = () => repoCache(cacheDir, REPO);
const storageFetches = (file: Buffer) => hub.requests.filter((r) => r.server === 'storage' && r.url.endsWith(sha256(file)) && r.method === 'GET' && r.range !== 'bytes=0-0');

async function expectDownloadError(promise: Promise<unknown>, code: string): Promise<DownloadError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(DownloadError);
  expect((error as DownloadError).code).toBe(code);
  return error as DownloadError;
}

describe('downloadRepo', () => {
  it('writes the Hugging Face cache layout, verifies every file and reuses the cache on the next run', async () => {
    const events: DownloadProgress[] = [];
    const result = await downloadRepo(options({ onProgress: (p) => events.push(p) }));
    const commit = hub.repos.get(REPO)!.commit;
    expect(result.commit).toBe(commit);
    expect(result.kind).toBe('safetensors');
    expect(result.files.map((f) => f.path).sort()).toEqual(['config.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'model.safetensors.index.json', 'tokenizer.json']);
    const folder = path.join(cacheDir, 'models--deepseek-ai--DeepSeek-R1-Distill-Qwen-1.5B');
    expect(fs.readFileSync(path.join(folder, 'refs', 'main'), 'utf8')).toBe(commit);
    const linked = path.join(folder, 'snapshots', commit, 'model-00001-of-00002.safetensors');
    expect(fs.lstatSync(linked).isSymbolicLink()).toBe(true);
    expect(fs.readlinkSync(linked)).toBe(path.join('..', '..', 'blobs', sha256(WEIGHTS)));
    expect(sha256(fs.readFileSync(linked))).toBe(sha256(WEIGHTS));
    expect(fs.readFileSync(path.join(result.snapshotDir, 'model-00002-of-00002.safetensors')).equals(SHARD2)).toBe(true);
    expect(fs.readdirSync(path.join(folder, 'blobs')).some((name) => name.endsWith('.incomplete'))).toBe(false);
    // The Xet-backed shard: the client's probe got the Xet file info, the bytes came as plain HTTP from storage.
    const xetProbe = hub.requests.find((r) => r.url.endsWith('/model-00002-of-00002.safetensors') && r.range === 'bytes=0-0');
    expect(xetProbe?.status).toBe(200);
    expect(storageFetches(SHARD2)).toHaveLength(1);
    const last = events.at(-1)!;
    expect(last.bytesDone).toBe(last.bytesTotal);
    expect(last.files.every((f) => f.state === 'done')).toBe(true);

    hub.requests.length = 0;
    const again = await downloadRepo(options());
    expect(again.files.every((f) => f.outcome === 'cached')).toBe(true);
    expect(again.bytesFetched).toBe(0);
    expect(hub.requests.filter((r) => r.server === 'storage')).toHaveLength(0);
  });

  it('resumes a dropped connection with a Range request from the bytes on disk', async () => {
    hub.addFault({ target: 'model-00001-of-00002.safetensors', dropAfterBytes: 1_000_000 });
    const result = await downloadRepo(options({ concurrency: 1 }));
    const fetches = storageFetches(WEIGHTS);
    expect(fetches).toHaveLength(2);
    expect(fetches[0].range).toBeUndefined();
    const resumedAt = Number(/^bytes=(\d+)-/.exec(fetches[1].range ?? '')?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(1_000_000);
    expect(fetches[1].sentBytes).toBe(WEIGHTS.length - resumedAt);
    expect(sha256(fs.readFileSync(path.join(result.snapshotDir, 'model-00001-of-00002.safetensors')))).toBe(sha256(WEIGHTS));
  });

  it('catches a corrupted byte, deletes the file and fetches it again; twice corrupted fails naming the file', async () => {
    hub.addFault({ target: 'model-00001-of-00002.safetensors', corruptAt: 2_000_000 });
    const done: string[] = [];
    await downloadRepo(options({ onFileDone: (f) => done.push(f.path) }));
    expect(storageFetches(WEIGHTS)).toHaveLength(2);
    expect(sha256(fs.readFileSync(blobPath(rc(), sha256(WEIGHTS))))).toBe(sha256(WEIGHTS));
    expect(done).toContain('model-00001-of-00002.safetensors');

    fs.rmSync(cacheDir, { recursive: true, force: true });
    hub.addFault({ target: 'model-00001-of-00002.safetensors', corruptAt: 10, times: 2 });
    const verified: string[] = [];
    const error = await expectDownloadError(downloadRepo(options({ onFileDone: (f) => verified.push(f.path) })), 'checksum');
    expect(error.message).toContain('model-00001-of-00002.safetensors arrived corrupted twice');
    expect(verified).not.toContain('model-00001-of-00002.safetensors'); // nothing reported before verification
    expect(fs.existsSync(blobPath(rc(), sha256(WEIGHTS)))).toBe(false);
    expect(fs.existsSync(incompletePath(rc(), sha256(WEIGHTS)))).toBe(false);
  });

  it('stops on a full disk with a clear message, keeps the good bytes and resumes from them', async () => {
    const partial = incompletePath(rc(), sha256(WEIGHTS));
    const onDisk = () => (fs.existsSync(partial) ? fs.statSync(partial).size : 0);
    // Plenty of room at the start; the disk "fills up" once 1.5 MB of the big shard are written.
    const freeSpace = async () => (onDisk() > 1_500_000 ? 1000 : 10 ** 12);
    hub.addFault({ target: 'model-00001-of-00002.safetensors', bytesPerSecond: 20_000_000 });
    const error = await expectDownloadError(downloadRepo(options({ concurrency: 1, freeSpace, minFreeBytes: 4096, diskCheckEveryBytes: 256 * 1024 })), 'disk_full');
    expect(error.message).toMatch(/The disk holding .* has only 1000 B free/);
    expect(error.message).toContain('already written are kept');
    expect(error.resumable).toBe(true);
    const kept = fs.readFileSync(partial);
    expect(kept.length).toBeGreaterThan(1_500_000);
    expect(kept.equals(WEIGHTS.subarray(0, kept.length))).toBe(true); // a clean prefix: nothing corrupt kept

    hub.requests.length = 0;
    const result = await downloadRepo(options({ concurrency: 1 }));
    expect(storageFetches(WEIGHTS)[0].range).toBe(`bytes=${kept.length}-${WEIGHTS.length - 1}`);
    expect(sha256(fs.readFileSync(path.join(result.snapshotDir, 'model-00001-of-00002.safetensors')))).toBe(sha256(WEIGHTS));
  });

  it('refuses a download whose free disk is too small before fetching anything', async () => {
    const error = await expectDownloadError(downloadRepo(options({ freeSpace: async () => 1_000_000 })), 'disk_full');
    expect(error.message).toContain('Not enough free disk');
    expect(hub.requests.filter((r) => r.server === 'storage')).toHaveLength(0);
  });

  it('refuses a listing with a path that escapes the folder, writing nothing', async () => {
    hub.repos.get(REPO)!.extraListing.push({ type: 'file', path: '../../evil.safetensors', size: 4, oid: 'a'.repeat(40), lfs: { oid: 'b'.repeat(64), size: 4, pointerSize: 100 } });
    const error = await expectDownloadError(downloadRepo(options()), 'unsafe_path');
    expect(error.message).toContain('../../evil.safetensors');
    expect(fs.existsSync(path.join(cacheDir, 'evil.safetensors'))).toBe(false);
    expect(hub.requests.filter((r) => r.server === 'storage')).toHaveLength(0);
  });

  it('explains how to add a token for a gated repo, and downloads with one', async () => {
    hub.addRepo('meta/gated', { 'config.json': '{}', 'model.safetensors': generatedBytes(5000, 2) }, { gatedToken: 'hf_testtoken123456' });
    const error = await expectDownloadError(downloadRepo(options({ repo: 'meta/gated' })), 'gated');
    expect(error.message).toContain('needs a Hugging Face token');
    expect(error.message).toContain('HF_TOKEN');
    expect(error.message).toContain('Settings › Hugging Face token');
    const wrong = await expectDownloadError(downloadRepo(options({ repo: 'meta/gated', hub: { hubUrl: hub.url, accessToken: 'hf_wrongtoken99999' } })), 'gated');
    expect(wrong.message).toContain('cannot read meta/gated (status 403)');
    await expectDownloadError(downloadRepo(options({ repo: 'meta/gated', hub: { hubUrl: hub.url, accessToken: 'not-a-token' } })), 'bad_token');
    const ok = await downloadRepo(options({ repo: 'meta/gated', hub: { hubUrl: hub.url, accessToken: 'hf_testtoken123456' } }));
    expect(ok.files).toHaveLength(2);
  });

  it('names a missing repository and a failing hub', async () => {
    const missing = await expectDownloadError(downloadRepo(options({ repo: 'nobody/nothing' })), 'not_found');
    expect(missing.message).toContain('nobody/nothing');
    hub.addFault({ target: 'api', status: 500 });
    const failing = await expectDownloadError(downloadRepo(options()), 'server');
    expect(failing.message).toContain('answered 500');
  });

  it('pauses through the signal, keeping the bytes, and continues from them', async () => {
    hub.addFault({ target: 'model-00001-of-00002.safetensors', bytesPerSecond: 1_000_000 });
    const controller = new AbortController();
    const run = downloadRepo(options({ concurrency: 1, signal: controller.signal, progressEveryMs: 10, onProgress: (p) => {
      const f = p.files.find((x) => x.path === 'model-00001-of-00002.safetensors');
      if (f && f.done > 300_000) controller.abort();
    } }));
    await expectDownloadError(run, 'stopped');
    const kept = fs.statSync(incompletePath(rc(), sha256(WEIGHTS))).size;
    expect(kept).toBeGreaterThan(300_000);
    hub.requests.length = 0;
    await downloadRepo(options());
    expect(storageFetches(WEIGHTS)[0].range).toBe(`bytes=${kept}-${WEIGHTS.length - 1}`);
  });

  it('reports speed and time left while a slow file streams', async () => {
    hub.addFault({ target: 'model-00001-of-00002.safetensors', bytesPerSecond: 4_000_000 });
    const events: DownloadProgress[] = [];
    await downloadRepo(options({ concurrency: 1, progressEveryMs: 50, onProgress: (p) => events.push(p) }));
    const moving = events.filter((e) => e.bytesPerSecond > 0 && e.etaSeconds !== undefined);
    expect(moving.length).toBeGreaterThan(2);
    expect(moving.every((e) => e.etaSeconds! >= 0)).toBe(true);
    const dones = events.map((e) => e.bytesDone);
    expect(dones).toEqual([...dones].sort((a, b) => a - b)); // never goes backwards without a checksum failure
  });
});

describe('a download killed mid-file (the process, not only the socket)', () => {
  it('resumes to the identical sha256 without fetching finished files or bytes again (and never beside a live download)', async () => {
    hub.addFault({ target: 'model-00001-of-00002.safetensors', bytesPerSecond: 400_000, times: 5 });
    const child = spawn(process.execPath, [...tsxExecArgv(), path.join(__dirname, '..', 'testing', 'download-child.ts'), REPO, hub.url, cacheDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    const partial = incompletePath(rc(), sha256(WEIGHTS));
    // The listing's order: config.json and tokenizer.json first, then the first shard, which streams slowly.
    await waitFor(() => out.includes('done config.json') && fs.existsSync(partial) && fs.statSync(partial).size > 500_000, () => out + err);
    // a second process's download of the same repo into the same cache is refused while the first one lives
    const busy = await expectDownloadError(downloadRepo(options({ concurrency: 1 })), 'busy');
    expect(busy.message).toContain(`pid ${child.pid}`);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    expect(out).not.toContain('finished');
    const kept = fs.statSync(partial).size;
    expect(kept).toBeLessThan(WEIGHTS.length);

    hub.clearFaults();
    const before = hub.requests.length;
    const result = await downloadRepo(options({ concurrency: 1 }));
    const after = hub.requests.slice(before);
    const fetchedAfter = after.filter((r) => r.server === 'storage' && r.url.endsWith(sha256(WEIGHTS)) && r.range !== 'bytes=0-0');
    expect(fetchedAfter).toHaveLength(1);
    expect(fetchedAfter[0].range).toBe(`bytes=${kept}-${WEIGHTS.length - 1}`);
    expect(fetchedAfter[0].sentBytes).toBe(WEIGHTS.length - kept);
    // config.json was verified before the kill: not fetched again.
    expect(after.some((r) => r.url.includes('/resolve/') && r.url.endsWith('config.json'))).toBe(false);
    expect(result.files.find((f) => f.path === 'config.json')!.outcome).toBe('cached');
    // Over the network this run: everything but the files verified before the kill and the bytes kept from it.
    const cachedBytes = result.files.filter((f) => f.outcome === 'cached').reduce((sum, f) => sum + f.size, 0);
    expect(result.bytesFetched).toBe(result.bytesTotal - kept - cachedBytes);
    expect(sha256(fs.readFileSync(path.join(result.snapshotDir, 'model-00001-of-00002.safetensors')))).toBe(sha256(WEIGHTS));
    // the killed process's lock was taken over, and this run's lock is gone once it finished
    expect(fs.existsSync(repoLockPath(rc()))).toBe(false);
  });
});

async function waitFor(condition: () => boolean, describe: () => string, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting; child said:\n${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

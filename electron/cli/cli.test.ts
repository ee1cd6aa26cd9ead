import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { buildProgram, COMMANDS, requestedCommand } from './index';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(repo, 'bin', 'distillery.mjs');
const home = mkdtempSync(path.join(os.tmpdir(), 'distillery-cli-'));
const version = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')).version;
const env = { ...process.env, DISTILLERY_HOME: home, DISTILLERY_NO_OPEN: '1' };

afterAll(() => rmSync(home, { recursive: true, force: true }));

function firstLine(child: ChildProcess, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`no line in time; stderr: ${err}`)), timeoutMs);
    child.stderr!.on('data', (chunk) => (err += chunk));
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      const end = out.indexOf('\n');
      if (end >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, end));
      }
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code} before printing; stderr: ${err}`)));
  });
}

describe('distillery CLI', () => {
  it('--help lists every command; a command\'s --help shows its options', () => {
    const result = spawnSync(process.execPath, [bin, '--help'], { env, encoding: 'utf8' });
    expect(result.status).toBe(0);
    for (const name of Object.keys(COMMANDS)) expect(result.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
    for (const args of [['serve', '--help'], ['help', 'serve']]) {
      const serve = spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8' });
      expect(serve.status).toBe(0);
      expect(serve.stdout).toMatch(/Usage: distillery serve \[options\]/);
      expect(serve.stdout).toMatch(/--port <port>/);
    }
  });

  it('lists each command under the name its module registers', async () => {
    const program = await buildProgram(['node', 'distillery'], true);
    expect(program.commands.map((c) => c.name())).toEqual(Object.keys(COMMANDS));
    expect(requestedCommand(['node', 'distillery', '--verbose', 'run', 'm', 'hi'])).toBe('run');
    expect(requestedCommand(['node', 'distillery', 'help', 'train'])).toBe('train');
  });

  it('info --json prints the engine info', () => {
    const result = spawnSync(process.execPath, [bin, 'info', '--json'], { env, encoding: 'utf8', timeout: 60_000 });
    expect(result.status).toBe(0);
    const info = JSON.parse(result.stdout);
    expect(info.ortVersion).toBe('1.30.0');
    expect(info.executionProviders.map((p: { name: string }) => p.name)).toContain('cpu');
  });

  it('serve prints one URL line, answers with the token, refuses without, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--no-build'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    try {
      const line = await firstLine(child);
      const match = /^Distillery listening on (http:\/\/127\.0\.0\.1:(\d+))\/\?token=([A-Za-z0-9_-]{43})$/.exec(line);
      expect(match, line).not.toBeNull();
      const [, base, , token] = match!;
      const app = await fetch(`${base}/api/call/app.info`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: '{}',
      });
      expect(app.status).toBe(200);
      expect(await app.json()).toEqual({ version, dataDir: home, logFile: path.join(home, 'logs', 'distillery.log'), transport: 'http' });
      const info = await fetch(`${base}/api/call/engine.info?token=${token}`, { method: 'POST', body: '{}' });
      expect(((await info.json()) as { ortVersion: string }).ortVersion).toBe('1.30.0');
      expect((await fetch(`${base}/api/call/app.info`, { method: 'POST', body: '{}' })).status).toBe(401);
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
    expect(stdout.trim().split('\n')).toHaveLength(1);
  });

  it('refuses a bad port with a readable error', () => {
    const result = spawnSync(process.execPath, [bin, 'serve', '--port', '70000'], { env, encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('--port must be a whole number from 0 to 65535');
  });
});

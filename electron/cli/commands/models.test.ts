// `distillery models reconvert`: the app's re-convert without the app, through the real CLI on a tiny checkpoint.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest } from '../../convert/manifest';
import { FUSED_GRAPH, XKV_GRAPH } from '../../model/fused-decoder';
import { makeTinyModel } from '../../testing/fixtures';
import { writeLegacyConvertedFolder } from '../../testing/model-folders';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-models-cli-'));
const home = path.join(root, 'home');
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function distillery(...args: string[]) {
  const env = { ...process.env, DISTILLERY_HOME: home };
  const result = spawnSync(process.execPath, [path.join(repo, 'bin/distillery.mjs'), ...args], { cwd: repo, env, encoding: 'utf8', timeout: 120_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function fingerprint(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) out[path.relative(dir, path.join(entry.parentPath, entry.name))] = createHash('sha256').update(fs.readFileSync(path.join(entry.parentPath, entry.name))).digest('hex');
  }
  return out;
}

let source: string;
let folder: string;
let id: string;

beforeAll(async () => {
  const { hfDir } = await makeTinyModel({ arch: 'qwen2', seed: 23, hidden: 64, heads: 4, kvHeads: 2, layers: 1, intermediate: 96 });
  source = path.join(root, 'checkpoint');
  fs.cpSync(hfDir, source, { recursive: true, dereference: true }); // a private copy: one test changes it
  folder = path.join(root, 'r1-q4');
  // settings other than the defaults (block 64 with zero points), so a re-conversion that fell back to them would show
  expect(distillery('convert', source, folder, '--dtype', 'q4', '--block-size', '16', '--symmetric').code).toBe(0);
  const added = distillery('models', 'add', folder, '--name', 'Tiny R1', '--json');
  expect(added.code).toBe(0);
  id = JSON.parse(added.stdout).id;
  fs.writeFileSync(path.join(folder, 'notes.txt'), 'mine');
}, 240_000);

describe('distillery models reconvert', () => {
  it('--portable writes the portable graph with the same settings; without it the default graph comes back; the record stays', async () => {
    const before = await readManifest(folder);
    expect(before.graph).toBe(XKV_GRAPH);
    expect(before.quantization).toMatchObject({ blockSize: 16, symmetric: true });
    const portable = distillery('models', 'reconvert', 'Tiny R1', '--portable');
    expect(portable.stderr).toContain('Converting 100%');
    expect(portable.code).toBe(0);
    expect(portable.stdout).toMatch(new RegExp(`^Re-converted Tiny R1 \\(${id}\\) to the portable graph in \\d+\\.\\d s: ${folder}\\n$`));
    const after = await readManifest(folder);
    expect(after).toMatchObject({ graph: FUSED_GRAPH, dtype: 'q4', quantization: before.quantization, source: before.source });
    expect(after.quantization?.blockSize).toBe(16);

    const back = distillery('models', 'reconvert', id, '--json');
    expect(back.code).toBe(0);
    expect(JSON.parse(back.stdout)).toMatchObject({ id, name: 'Tiny R1', convertedWith: { graph: XKV_GRAPH } });
    expect((await readManifest(folder)).quantization).toEqual(before.quantization);
    expect(fs.readFileSync(path.join(folder, 'notes.txt'), 'utf8')).toBe('mine');
    expect(JSON.parse(distillery('models', 'list', '--json').stdout)).toHaveLength(1);
  }, 240_000);

  it('a checkpoint changed since (same size) is refused by sha256 and nothing is replaced', () => {
    const before = fingerprint(folder);
    const shard = path.join(source, 'model.safetensors');
    const bytes = fs.readFileSync(shard);
    const changed = Buffer.from(bytes);
    changed[changed.length - 4] ^= 0x01;
    fs.writeFileSync(shard, changed);
    try {
      const run = distillery('models', 'reconvert', id, '--portable');
      expect(run.code).toBe(1);
      expect(run.stderr.trim().split('\n').at(-1)).toMatch(/^Error: Nothing was replaced\. The source checkpoint at .+ changed since this model was converted \(model\.safetensors has sha256 [0-9a-f]{12}…, was [0-9a-f]{12}…\)/);
    } finally {
      fs.writeFileSync(shard, bytes);
    }
    expect(fingerprint(folder)).toEqual(before);
    expect(fs.readdirSync(root).filter((name) => name.includes('r1-q4'))).toEqual(['r1-q4']); // no partial output beside it
  }, 120_000);

  it('says why for a checkpoint that is gone and for a folder Distillery did not convert', () => {
    fs.renameSync(source, `${source}.away`);
    try {
      const run = distillery('models', 'reconvert', id);
      expect(run.code).toBe(1);
      expect(run.stderr.trim().split('\n').at(-1)).toMatch(/^Error: The source checkpoint at .+ is gone or incomplete/);
    } finally {
      fs.renameSync(`${source}.away`, source);
    }
    const imported = path.join(root, 'imported');
    fs.cpSync(folder, imported, { recursive: true });
    fs.rmSync(path.join(imported, 'distillery.json'));
    expect(distillery('models', 'add', imported, '--name', 'Imported').code).toBe(0);
    const run = distillery('models', 'reconvert', 'Imported');
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe('Error: “Imported” was not converted by Distillery (its folder has no readable distillery.json): there is no recorded checkpoint to re-convert from.');
  }, 120_000);
});

describe('distillery models list', () => {
  it('shows a row\'s re-convert offer as the command that takes it, or why it cannot be taken', async () => {
    const legacy = path.join(root, 'legacy');
    await writeLegacyConvertedFolder(source, legacy);
    const added = distillery('models', 'add', legacy, '--name', 'Old R1', '--json');
    expect(added.code).toBe(0);
    const oldId = JSON.parse(added.stdout).id as string;
    const lines = distillery('models', 'list').stdout.split('\n');
    const row = lines.findIndex((line) => line.startsWith(`${oldId}  Old R1`));
    expect(lines[row + 1]).toMatch(/^ {2}↳ Converted by an older Distillery \(converter 1\.0\.0\), before the fused graph: about 1\.6× slower decode/);
    expect(lines[row + 2]).toBe(`    Run: distillery models reconvert ${oldId}`);
    expect(lines.find((line) => line.startsWith(`${id}  Tiny R1`))).toBeDefined();
    expect(lines[lines.findIndex((line) => line.startsWith(`${id}  Tiny R1`)) + 1]).not.toMatch(/↳/); // the current graph: nothing to offer
    fs.renameSync(source, `${source}.away`);
    try {
      const gone = distillery('models', 'list').stdout.split('\n');
      expect(gone[gone.findIndex((line) => line.startsWith(`${oldId}  Old R1`)) + 1]).toMatch(/^ {2}↳ The source checkpoint at .+ is gone or incomplete/);
    } finally {
      fs.renameSync(`${source}.away`, source);
    }
  }, 120_000);
});

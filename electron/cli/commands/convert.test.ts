import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTinyModel } from '../../testing/fixtures';
import { loadTransformersModel, promptIds, referenceGreedy, transformersGreedy } from '../../testing/generate';
import { convertFolder } from './convert';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-convert-cli-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function distillery(...args: string[]) {
  const result = spawnSync(process.execPath, [path.join(repo, 'bin/distillery.mjs'), ...args], { cwd: repo, encoding: 'utf8', timeout: 120_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A copy of a tiny checkpoint that a test may damage. */
function copyOf(hfDir: string, name: string): string {
  const dir = path.join(root, name);
  fs.cpSync(hfDir, dir, { recursive: true });
  return dir;
}

const TINY = { arch: 'qwen2', seed: 21, hidden: 32, heads: 4, kvHeads: 2, layers: 1, intermediate: 48 } as const;

describe('distillery convert', () => {
  it('converts a Hugging Face folder end to end; transformers.js runs the result offline', async () => {
    const { hfDir } = await makeTinyModel(TINY);
    const out = path.join(root, 'converted');
    const run = distillery('convert', hfDir, out, '--dtype', 'fp32');
    expect(run.stderr).toContain('Converting 100%');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Converted qwen2 \(1 layers\) to .*model\.onnx/);
    expect(fs.readdirSync(path.join(out, 'onnx')).sort()).toEqual(['model.onnx', 'model.onnx_data']);
    for (const file of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json']) {
      expect(fs.existsSync(path.join(out, file)), file).toBe(true);
    }
    const loaded = await loadTransformersModel(out);
    const prompt = promptIds(loaded.tokenizer, 'Hello');
    expect(await transformersGreedy(loaded, prompt, 4)).toEqual(referenceGreedy(hfDir, prompt, 4));
    await loaded.model.dispose();

    // Converting again into the same (converted) folder needs --force, and keeps files the converter did not write.
    const again = distillery('convert', hfDir, out);
    expect(again.code).toBe(1);
    expect(again.stderr.trim()).toMatch(/^Error: .* already holds a converted model: .*--force to replace it\.$/);
    fs.writeFileSync(path.join(out, 'notes.txt'), 'keep');
    expect(distillery('convert', hfDir, out, '--force').code).toBe(0);
    expect(fs.readFileSync(path.join(out, 'notes.txt'), 'utf8')).toBe('keep');
  }, 240_000);

  it('exits 1 with a one-line message, no stack trace, for a missing folder', () => {
    const run = distillery('convert', path.join(root, 'nope'), path.join(root, 'out-nope'));
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(`Error: ${path.join(root, 'nope')} does not exist: give the folder of a Hugging Face checkpoint.`);
    expect(fs.existsSync(path.join(root, 'out-nope'))).toBe(false);
  }, 60_000);

  it('refuses to write into a folder that holds something else, even with --force, and leaves it untouched', async () => {
    const { hfDir } = await makeTinyModel(TINY);
    const out = path.join(root, 'documents');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'notes.txt'), 'keep me');
    await expect(convertFolder(hfDir, out, { dtype: 'fp32' })).rejects.toThrow(/not empty and is not a Distillery model folder/);
    expect(fs.readdirSync(out)).toEqual(['notes.txt']);
    // The reported case: a folder with an onnx/ subfolder next to a user's files.
    const thesis = path.join(root, 'v');
    fs.mkdirSync(path.join(thesis, 'onnx'), { recursive: true });
    fs.mkdirSync(path.join(thesis, 'photos'));
    fs.writeFileSync(path.join(thesis, 'thesis.txt'), 'keep');
    await expect(convertFolder(hfDir, thesis, { dtype: 'fp32', force: true })).rejects.toThrow(/not a Distillery model folder/);
    expect(fs.readdirSync(thesis).sort()).toEqual(['onnx', 'photos', 'thesis.txt']);
    await expect(convertFolder(hfDir, hfDir, { dtype: 'fp32' })).rejects.toThrow(/must differ/);
    await expect(convertFolder(hfDir, path.join(root, 'x'), { dtype: 'int3' })).rejects.toThrow(/Unknown dtype "int3": use one of fp32/);
  });

  it('rejects bad configs and mismatched weights with clear errors and writes nothing', async () => {
    const { hfDir } = await makeTinyModel(TINY);
    const unsupported = copyOf(hfDir, 'gpt2');
    const config = JSON.parse(fs.readFileSync(path.join(unsupported, 'config.json'), 'utf8'));
    fs.writeFileSync(path.join(unsupported, 'config.json'), JSON.stringify({ ...config, model_type: 'gpt2' }));
    await expect(convertFolder(unsupported, path.join(root, 'out-gpt2'), { dtype: 'fp32' })).rejects.toThrow(/model_type/);

    const mismatched = copyOf(hfDir, 'mismatch');
    fs.writeFileSync(path.join(mismatched, 'config.json'), JSON.stringify({ ...config, intermediate_size: 64 }));
    await expect(convertFolder(mismatched, path.join(root, 'out-mismatch'), { dtype: 'fp32' })).rejects.toThrow(/gate_proj.*shape/);

    const noWeights = copyOf(hfDir, 'no-weights');
    fs.rmSync(path.join(noWeights, 'model.safetensors'));
    await expect(convertFolder(noWeights, path.join(root, 'out-no-weights'), { dtype: 'fp32' })).rejects.toThrow(/safetensors/);

    for (const out of ['out-gpt2', 'out-mismatch', 'out-no-weights']) {
      const dir = path.join(root, out);
      expect(fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => !f.startsWith('.')) : [], out).toEqual([]);
    }
  });
});

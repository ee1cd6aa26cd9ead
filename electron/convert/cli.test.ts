// `distillery convert` with the quantization flags, end to end through the real CLI entry point.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { writeTinyCheckpoint } from '../testing/factory';
import { readManifest } from './manifest';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const root = mkdtempSync(join(tmpdir(), 'distillery-convert-flags-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function distillery(...args: string[]) {
  const result = spawnSync(process.execPath, [join(repo, 'bin/distillery.mjs'), ...args], { cwd: repo, encoding: 'utf8', timeout: 120_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('distillery convert --dtype q4 and its flags', () => {
  it('writes model_q4.onnx with the requested quantization settings in the manifest, with progress on stderr', async () => {
    const hf = join(root, 'hf');
    writeTinyCheckpoint(hf, { arch: 'llama', seed: 4, vocabSize: 4096 });
    const out = join(root, 'q4');
    const run = distillery('convert', hf, out, '--dtype', 'q4', '--block-size', '32', '--symmetric', '--accuracy-level', '0', '--quantize-embeddings');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/Checksumming 100%/);
    expect(run.stderr).toMatch(/Converting 100% +\d+\/\d+ tensors/);
    expect(run.stdout).toMatch(/Converted llama \(2 layers\) to .*model_q4\.onnx/);
    expect(readdirSync(join(out, 'onnx')).sort()).toEqual(['model_q4.onnx', 'model_q4.onnx_data']);
    const manifest = await readManifest(out);
    expect(manifest.quantization).toEqual({
      method: 'MatMulNBits', bits: 4, blockSize: 32, symmetric: true, accuracyLevel: 0, embeddings: 'q4', lmHead: 'q4',
    });

    const bad = distillery('convert', hf, join(root, 'bad'), '--dtype', 'q4', '--block-size', '48');
    expect(bad.code).toBe(1);
    // the CLI's options go through the API's schema, so the message names the option as typed
    expect(bad.stderr.trim()).toBe('Error: --block-size must be a power of two (16, 32, 64, 128, …) (got "48").');
    const notQ = distillery('convert', hf, join(root, 'bad2'), '--dtype', 'fp16', '--asymmetric');
    expect(notQ.code).toBe(1);
    expect(notQ.stderr).toMatch(/need --dtype q4 or q4f16/);
    const notSym = distillery('convert', hf, join(root, 'bad3'), '--dtype', 'fp16', '--symmetric');
    expect(notSym.code).toBe(1);
    expect(notSym.stderr).toMatch(/need --dtype q4 or q4f16/);
    const both = distillery('convert', hf, join(root, 'bad4'), '--dtype', 'q4', '--symmetric', '--asymmetric');
    expect(both.code).toBe(1);
    expect(both.stderr.trim()).toBe('Error: Pass --symmetric or --asymmetric, not both.');
  }, 180_000);
});

// Every bad input is refused with a clear error, and nothing is left behind: no output folder, no partial folder.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readdirSync, readFileSync, renameSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomWeights, tinyShape, writeCheckpointFolder, type TensorMap } from '../testing/factory';
import { readSafetensorsHeader } from '../model/safetensors';
import { convertCheckpoint, type ConvertOptions } from './convert';
import { CancelledError } from './tensors';
import type { ConvertProgress } from './progress';

let root: string;
let good: string;
const shape = tinyShape({ arch: 'qwen2', vocabSize: 2048, layers: 2 });

function checkpointWith(name: string, edit: (tensors: TensorMap) => void): string {
  const tensors = randomWeights(shape, 9);
  edit(tensors);
  const dir = join(root, name);
  writeCheckpointFolder(dir, shape, tensors);
  return dir;
}

function copyOf(name: string): string {
  const dir = join(root, name);
  cpSync(good, dir, { recursive: true });
  return dir;
}

/** Converting `src` fails with `message`, and the output folder's parent holds neither the output nor a partial. */
async function expectRefused(src: string, message: RegExp, options: Partial<ConvertOptions> = {}) {
  const parent = mkdtempSync(join(root, 'out-'));
  const out = join(parent, 'model');
  await expect(convertCheckpoint(src, out, { dtype: 'q4', ...options })).rejects.toThrow(message);
  expect(readdirSync(parent)).toEqual([]);
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'distillery-bad-input-'));
  good = checkpointWith('good', () => {});
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('bad input', () => {
  it('the good checkpoint converts (so the failures below are caused by the damage alone)', async () => {
    const out = join(root, 'good-out');
    await convertCheckpoint(good, out, { dtype: 'q4' });
    expect(existsSync(join(out, 'onnx', 'model_q4.onnx'))).toBe(true);
  });

  it('truncated shard', async () => {
    const src = copyOf('truncated');
    const file = join(src, 'model.safetensors');
    truncateSync(file, statSync(file).size - 1000);
    await expectRefused(src, /truncated/);
  });

  it('header length larger than the file (header/length mismatch)', async () => {
    const src = copyOf('header-length');
    const fd = openSync(join(src, 'model.safetensors'), 'r+');
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(statSync(join(src, 'model.safetensors')).size + 10));
    writeSync(fd, prefix, 0, 8, 0);
    closeSync(fd);
    await expectRefused(src, /header length \d+ exceeds the file size/);
  });

  it('tensor byte range that does not match its dtype and shape', async () => {
    const src = checkpointWith('shape-lie', () => {});
    // Rewrite the header so one tensor claims more rows than its bytes hold.
    const file = join(src, 'model.safetensors');
    const bytes = new Uint8Array(readFileSync(file));
    const headerLength = Number(Buffer.from(bytes.slice(0, 8)).readBigUInt64LE(0));
    const header = JSON.parse(Buffer.from(bytes.slice(8, 8 + headerLength)).toString('utf8'));
    header['model.norm.weight'].shape = [shape.hidden * 2];
    let text = JSON.stringify(header);
    text += ' '.repeat(Math.max(0, headerLength - Buffer.byteLength(text)));
    expect(Buffer.byteLength(text)).toBe(headerLength);
    writeFileSync(file, Buffer.concat([bytes.slice(0, 8), Buffer.from(text), bytes.slice(8 + headerLength)]));
    await expectRefused(src, /"model\.norm\.weight".*needs/);
  });

  it('missing tensor', async () => {
    const src = checkpointWith('missing', (t) => delete t['model.layers.1.mlp.up_proj.weight']);
    await expectRefused(src, /missing tensor "model\.layers\.1\.mlp\.up_proj\.weight"/);
  });

  it('extra tensor', async () => {
    const src = checkpointWith('extra', (t) => {
      t['model.layers.0.self_attn.extra_proj.weight'] = { dtype: 'BF16', shape: [4, 4], data: new Float32Array(16) };
    });
    await expectRefused(src, /unexpected tensor "model\.layers\.0\.self_attn\.extra_proj\.weight"/);
  });

  it('unexpected dtype', async () => {
    const src = checkpointWith('int-weights', (t) => {
      t['model.layers.0.input_layernorm.weight'] = { dtype: 'I32', shape: [shape.hidden], data: new Int32Array(shape.hidden) };
    });
    await expectRefused(src, /"model\.layers\.0\.input_layernorm\.weight".*dtype I32/);
  });

  it('NaN or infinite weights, naming the file and tensor', async () => {
    for (const [dtype, name] of [['BF16', 'nan-bf16'], ['F32', 'inf-f32']] as const) {
      const src = checkpointWith(name, (t) => {
        const data = new Float32Array(shape.hidden).fill(1);
        data[3] = dtype === 'BF16' ? NaN : Infinity;
        t['model.layers.1.post_attention_layernorm.weight'] = { dtype, shape: [shape.hidden], data };
      });
      await expectRefused(src, /model\.safetensors: tensor "model\.layers\.1\.post_attention_layernorm\.weight" holds NaN or infinite values/, {
        dtype: dtype === 'BF16' ? 'q4' : 'fp16',
      });
    }
  });

  it('a garbage tokenizer.json, naming the file', async () => {
    const notJson = copyOf('tokenizer-not-json');
    writeFileSync(join(notJson, 'tokenizer.json'), '\u0000\u0001garbage');
    await expectRefused(notJson, /tokenizer\.json is not valid JSON/);
    const notTokenizer = copyOf('tokenizer-not-tokenizer');
    writeFileSync(join(notTokenizer, 'tokenizer.json'), JSON.stringify({ hello: 'world' }));
    await expectRefused(notTokenizer, /tokenizer\.json is not a Hugging Face tokenizer/);
  });

  it('not enough free disk, checked before starting, with the number of bytes needed', async () => {
    let started = false;
    await expectRefused(good, /Not enough free disk space .* needs about \d+ bytes \(.*\) but only 1000000 bytes/, {
      dtype: 'fp16',
      freeSpace: async () => 1_000_000,
      onProgress: () => (started = true),
    });
    expect(started).toBe(false);
  });

  it('cancellation mid-conversion removes the partial output', async () => {
    const controller = new AbortController();
    const seen: ConvertProgress[] = [];
    const parent = mkdtempSync(join(root, 'cancel-'));
    const run = convertCheckpoint(good, join(parent, 'm'), {
      dtype: 'fp16',
      signal: controller.signal,
      progressIntervalMs: 0,
      onProgress: (p) => {
        seen.push(p);
        if (p.phase === 'convert' && p.tensorsDone >= 3) controller.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(seen.some((p) => p.phase === 'checksum')).toBe(true);
    expect(seen.filter((p) => p.phase === 'convert').at(-1)!.tensorsDone).toBeLessThan(seen.find((p) => p.phase === 'convert')!.tensorsTotal);
    expect(readdirSync(parent)).toEqual([]);
  });

  it('never replaces a folder without a Distillery manifest, even with overwrite', async () => {
    const out = join(root, 'occupied');
    mkdirSync(join(out, 'onnx'), { recursive: true });
    mkdirSync(join(out, 'photos'));
    writeFileSync(join(out, 'notes.txt'), 'keep');
    await expect(convertCheckpoint(good, out, { dtype: 'fp16' })).rejects.toThrow(/not a Distillery model folder/);
    await expect(convertCheckpoint(good, out, { dtype: 'fp16', overwrite: true })).rejects.toThrow(/not a Distillery model folder/);
    expect(readdirSync(out).sort()).toEqual(['notes.txt', 'onnx', 'photos']);
    expect(readdirSync(root).filter((name) => name.startsWith('.occupied'))).toEqual([]);
  });

  it('replaces an earlier conversion only with overwrite, and carries over every file it did not write', async () => {
    const out = join(root, 'earlier');
    await convertCheckpoint(good, out, { dtype: 'fp16' });
    writeFileSync(join(out, 'notes.txt'), 'keep');
    mkdirSync(join(out, 'photos'));
    writeFileSync(join(out, 'onnx', 'mine.bin'), 'mine');
    await expect(convertCheckpoint(good, out, { dtype: 'q4' })).rejects.toThrow(/already holds a converted model.*--force/);
    await convertCheckpoint(good, out, { dtype: 'q4', overwrite: true });
    expect(readdirSync(out).sort()).toEqual(['config.json', 'distillery.json', 'generation_config.json', 'notes.txt', 'onnx', 'photos', 'tokenizer.json', 'tokenizer_config.json']);
    expect(readdirSync(join(out, 'onnx')).sort()).toEqual(['mine.bin', 'model_q4.onnx', 'model_q4.onnx_data']);
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('keep');
    // A user's file where the new conversion would write is refused before anything is converted.
    writeFileSync(join(out, 'onnx', 'model_fp16.onnx'), 'not ours');
    await expect(convertCheckpoint(good, out, { dtype: 'fp16', overwrite: true })).rejects.toThrow(/model_fp16\.onnx was not written by this folder's conversion/);
    expect(readFileSync(join(out, 'onnx', 'model_fp16.onnx'), 'utf8')).toBe('not ours');
  });

  it('the manifest hashes exactly the shard files whose weights were read', async () => {
    const src = copyOf('shard-in-subfolder');
    mkdirSync(join(src, 'weights'));
    renameSync(join(src, 'model.safetensors'), join(src, 'weights', 'model.safetensors'));
    writeFileSync(join(src, 'model.safetensors'), 'a decoy with the same base name');
    const names = readSafetensorsHeader(join(src, 'weights', 'model.safetensors')).entries.map((e) => e.name);
    const weightMap = Object.fromEntries(names.map((n) => [n, 'weights/model.safetensors']));
    writeFileSync(join(src, 'model.safetensors.index.json'), JSON.stringify({ weight_map: weightMap }));
    const out = join(mkdtempSync(join(root, 'out-')), 'model');
    const { manifest } = await convertCheckpoint(src, out, { dtype: 'fp32' });
    const sha = createHash('sha256').update(readFileSync(join(src, 'weights', 'model.safetensors'))).digest('hex');
    expect(manifest.source.files.filter((f) => f.name.endsWith('.safetensors'))).toEqual([
      { name: 'weights/model.safetensors', bytes: statSync(join(src, 'weights', 'model.safetensors')).size, sha256: sha },
    ]);
  });

  it('never writes over its own source folder', async () => {
    const src = copyOf('self');
    await expect(convertCheckpoint(src, src, { dtype: 'q4', overwrite: true })).rejects.toThrow(/must not be \(or contain\) the Hugging Face folder/);
    await expect(convertCheckpoint(src, root, { dtype: 'q4', overwrite: true })).rejects.toThrow(/must not be \(or contain\)/);
    expect(existsSync(join(src, 'model.safetensors'))).toBe(true);
  });

  it('rejects bad options with the allowed values', async () => {
    await expectRefused(good, /Unknown dtype "int3"/, { dtype: 'int3' });
    await expectRefused(good, /power of two/, { blockSize: 48 });
    await expectRefused(good, /Accuracy level/, { accuracyLevel: 7 });
    await expectRefused(good, /need --dtype q4 or q4f16/, { dtype: 'fp16', blockSize: 64 });
  });
});

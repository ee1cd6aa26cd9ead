// Which folders get "re-convert for speed", from their manifest alone (the source files are real, sizes checked).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../convert/manifest';
import type { ModelRecord } from '../store';
import { reconvertInput, speedUpgradeOf } from './speed-upgrade';

let source: string;
beforeAll(() => {
  source = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-speed-upgrade-'));
  fs.writeFileSync(path.join(source, 'model.safetensors'), 'x'.repeat(10));
});
afterAll(() => fs.rmSync(source, { recursive: true, force: true }));

const record = (headDim = 128): ModelRecord =>
  ({ id: 'm1', name: 'R1 q4', path: '/models/r1-q4', source: 'converted', manifest: { shape: { headDim } } }) as unknown as ModelRecord;

const manifest = (patch: Partial<Manifest> & { version?: string } = {}): Manifest => {
  const { version = '1.0.0', ...rest } = patch;
  return {
    format: 'distillery-model', formatVersion: 1, converter: { name: 'distillery-convert', version }, createdAt: '', dtype: 'q4',
    modelFile: 'onnx/model_q4.onnx', architecture: 'qwen2',
    source: { folder: source, files: [{ name: 'model.safetensors', bytes: 10, sha256: 'a'.repeat(64) }] },
    quantization: { method: 'MatMulNBits', bits: 4, blockSize: 64, symmetric: false, accuracyLevel: 4, embeddings: 'fp16', lmHead: 'q4' },
    fp16: null, outputBytes: 1, ...rest,
  };
};

describe('speed upgrade offer', () => {
  it('offers it on the standard graph (1.0) and on the 1.1 GroupQueryAttention graph, each with its own why', () => {
    expect(speedUpgradeOf(record(), manifest())).toMatchObject({ state: 'available', why: expect.stringMatching(/^Converted by an older Distillery \(converter 1\.0\.0\), before the fused graph: about 1\.6× slower decode and 8× slower prefill\./) });
    expect(speedUpgradeOf(record(), manifest({ graph: 'fused-gqa-v1', version: '1.1.0' }))).toMatchObject({ state: 'available', why: expect.stringMatching(/\(converter 1\.1\.0\): its KV cache is copied back whole on every step/) });
  });

  it('offers nothing on the current graph, on a portable conversion (1.2+) not known to run on the CPU, or where no fused graph fits the shape', () => {
    expect(speedUpgradeOf(record(), manifest({ graph: 'fused-xkv-v1', version: '1.2.0' }))).toBeUndefined(); // 1.3's blocked values: faster deep in a context only
    expect(speedUpgradeOf(record(), manifest({ graph: 'fused-xkv-v2', version: '1.3.0' }))).toBeUndefined(); // 1.4's prefill branch: prefill only
    expect(speedUpgradeOf(record(), manifest({ graph: 'fused-xkv-v3', version: '1.4.0' }))).toBeUndefined();
    expect(speedUpgradeOf(record(), manifest({ graph: 'fused-gqa-v1', version: '1.2.0' }))).toBeUndefined();
    expect(speedUpgradeOf(record(), manifest({ graph: 'fused-gqa-v1', version: '1.10.0' }))).toBeUndefined();
    expect(speedUpgradeOf(record(24), manifest())).toBeUndefined(); // head_dim 24: the converter writes the standard graph
  });

  it('on WebGPU offers the portable graph for the default (external cache) graph and for older ones, not for a portable folder', () => {
    const onWebgpu = (m: Manifest) => speedUpgradeOf(record(), m, undefined, 'webgpu');
    expect(onWebgpu(manifest({ graph: 'fused-xkv-v2', version: '1.3.0' }))).toMatchObject({
      state: 'available', portable: true, why: expect.stringMatching(/^This model runs on WebGPU, where its graph copies the whole KV cache to the GPU on every token/),
    });
    expect(onWebgpu(manifest({ graph: 'fused-xkv-v3', version: '1.4.0' }))).toMatchObject({ state: 'available', portable: true });
    expect(onWebgpu(manifest({ graph: 'fused-xkv-v1', version: '1.2.0' }))).toMatchObject({ state: 'available', portable: true });
    expect(onWebgpu(manifest())).toMatchObject({ state: 'available', portable: true, why: expect.stringMatching(/^Converted by an older Distillery \(converter 1\.0\.0\), before the fused graph.*; on WebGPU the portable graph keeps the cache on the GPU\./) });
    expect(onWebgpu(manifest({ graph: 'fused-gqa-v1', version: '1.1.0' }))).toMatchObject({ state: 'available', portable: true });
    expect(onWebgpu(manifest({ graph: 'fused-gqa-v1', version: '1.3.0' }))).toBeUndefined(); // already portable
    expect(onWebgpu(manifest({ graph: 'fused-future-v9', version: '9.0.0' }))).toBeUndefined(); // a graph this version does not know
    expect(speedUpgradeOf(record(24), manifest({ graph: 'fused-xkv-v2', version: '1.3.0' }), undefined, 'webgpu')).toBeUndefined();
    for (const provider of ['cpu', 'cuda', 'auto', undefined]) {
      expect(speedUpgradeOf(record(), manifest({ graph: 'fused-xkv-v2', version: '1.3.0' }), undefined, provider)).toBeUndefined();
      expect(speedUpgradeOf(record(), manifest(), undefined, provider)).not.toHaveProperty('portable');
    }
  });

  it('on the CPU offers the default graph for a portable folder (its cache is copied back every token); elsewhere the portable folder is kept', () => {
    const portable = manifest({ graph: 'fused-gqa-v1', version: '1.3.0' });
    const offer = speedUpgradeOf(record(), portable, undefined, 'cpu');
    expect(offer).toMatchObject({ state: 'available', why: expect.stringMatching(/^This model runs on the CPU, and its folder holds the portable graph .*whose whole KV cache is copied back on every token: for a 1\.5B, 11–13 tokens\/s/) });
    expect(offer).not.toHaveProperty('portable');
    expect(speedUpgradeOf(record(), manifest({ graph: 'fused-gqa-v1', version: '1.2.0' }), undefined, 'cpu')).toMatchObject({ state: 'available' });
    // 1.1's GroupQueryAttention graph keeps its own why; the default graph and unknown graphs get nothing on the CPU
    expect(speedUpgradeOf(record(), manifest({ graph: 'fused-gqa-v1', version: '1.1.0' }), undefined, 'cpu')).toMatchObject({ why: expect.stringMatching(/\(converter 1\.1\.0\): its KV cache is copied back whole/) });
    expect(speedUpgradeOf(record(), manifest({ graph: 'fused-future-v9', version: '9.0.0' }), undefined, 'cpu')).toBeUndefined();
    for (const provider of ['cuda', 'dml', 'auto', undefined]) expect(speedUpgradeOf(record(), portable, undefined, provider)).toBeUndefined();
  });

  it('says running while a job runs, and why not when the checkpoint is gone', () => {
    expect(speedUpgradeOf(record(), manifest(), 'job-1')).toEqual({ state: 'running', jobId: 'job-1' });
    const gone = manifest({ source: { folder: path.join(source, 'nope'), files: manifest().source.files } });
    expect(speedUpgradeOf(record(), gone)).toMatchObject({ state: 'unavailable', reason: 'source missing' });
  });

  it('re-converts with the same dtype and quantization settings into the same folder, with force', () => {
    expect(reconvertInput(record(), manifest())).toEqual({
      hfDir: source, outDir: '/models/r1-q4', dtype: 'q4', blockSize: 64, asymmetric: true, accuracyLevel: 4,
      quantizeEmbeddings: false, quantizeLmHead: true, register: true, force: true, name: 'R1 q4',
    });
    expect(reconvertInput(record(), manifest(), true)).toMatchObject({ dtype: 'q4', blockSize: 64, portable: true, force: true, outDir: '/models/r1-q4' });
    expect(reconvertInput(record(), manifest({ dtype: 'fp16', quantization: null }))).toEqual({
      hfDir: source, outDir: '/models/r1-q4', dtype: 'fp16', register: true, force: true, name: 'R1 q4',
    });
  });
});

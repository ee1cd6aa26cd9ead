import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeProviders } from './providers-info';

const dir = '/ort/bin';
const backends = [
  { name: 'cpu', bundled: true },
  { name: 'webgpu', bundled: true },
  { name: 'cuda', bundled: false },
];

describe('describeProviders', () => {
  it('marks CUDA unavailable with the install command when its libraries are missing', () => {
    const result = describeProviders(backends, () => false, dir);
    expect(result.map((p) => [p.name, p.available])).toEqual([
      ['cpu', true],
      ['webgpu', true],
      ['cuda', false],
    ]);
    expect(result[2]!.detail).toContain('libonnxruntime_providers_cuda.so');
    expect(result[2]!.detail).toContain('ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node');
  });

  it('marks CUDA available once both provider libraries sit next to the binding', () => {
    const present = new Set(['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'].map((f) => path.join(dir, f)));
    const cuda = describeProviders(backends, (file) => present.has(file), dir)[2]!;
    expect(cuda).toMatchObject({ name: 'cuda', available: true });
    const onlyOne = describeProviders(backends, (file) => file.endsWith('_cuda.so'), dir)[2]!;
    expect(onlyOne.available).toBe(false);
    expect(onlyOne.detail).toContain('libonnxruntime_providers_shared.so');
  });
});

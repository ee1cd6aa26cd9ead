import { describe, expect, it } from 'vitest';
import { catalogEntries, findCatalogEntry, searchCatalog } from './catalog';
import { fitModel } from './fit';
import { parseNvidiaSmi, type MachineInfo } from './machine';
import { modelSizes } from './sizes';

const GiB = 1024 ** 3;

/** Parameters counted by hand from the architecture (untied embeddings; qwen2 has q/k/v biases). */
function handCount(c: Record<string, unknown>): number {
  const h = c.hidden_size as number, i = c.intermediate_size as number, l = c.num_hidden_layers as number;
  const kv = (c.num_key_value_heads as number) * (h / (c.num_attention_heads as number));
  const bias = c.model_type === 'qwen2' ? h + 2 * kv : 0;
  const layer = 2 * h * h + 2 * h * kv + 3 * h * i + bias + 2 * h;
  return 2 * (c.vocab_size as number) * h + l * layer + h;
}

function machine(overrides: Partial<MachineInfo> = {}): MachineInfo {
  return {
    totalMemoryBytes: 16 * GiB, availableMemoryBytes: 12 * GiB, providers: ['cpu'], gpuNote: '',
    disks: [{ role: 'hub-cache', path: '/c', freeBytes: 500 * GiB }, { role: 'models', path: '/m', freeBytes: 500 * GiB }],
    ...overrides,
  };
}

const entry = (id: string) => catalogEntries().find((e) => e.id === id)!;

describe('catalog', () => {
  it('lists the six distills with their official repos, and the ready ONNX repo of the 1.5B', () => {
    expect(catalogEntries().map((e) => e.id)).toEqual(['qwen-1.5b', 'qwen-7b', 'qwen-14b', 'qwen-32b', 'llama-8b', 'llama-70b']);
    for (const e of catalogEntries()) expect(e.sources[0]).toMatchObject({ kind: 'safetensors', repo: `deepseek-ai/${e.name}` });
    expect(entry('qwen-1.5b').sources[1]).toMatchObject({ kind: 'onnx', repo: 'onnx-community/DeepSeek-R1-Distill-Qwen-1.5B-ONNX' });
    expect(findCatalogEntry('DEEPSEEK-AI/deepseek-r1-distill-llama-8b')?.id).toBe('llama-8b');
    expect(searchCatalog('llama 70').map((e) => e.id)).toEqual(['llama-70b']);
  });

  it('computes parameters and the bf16 checkpoint size from each config', () => {
    for (const e of catalogEntries()) expect(modelSizes(e.config).parameters).toBe(handCount(e.config));
    // Published sizes: 1.5B ≈ 3.5 GB bf16, 7B ≈ 15 GB, 70B ≈ 141 GB.
    expect(modelSizes(entry('qwen-1.5b').config).checkpointBytes / 1e9).toBeCloseTo(3.55, 1);
    expect(modelSizes(entry('qwen-7b').config).checkpointBytes / 1e9).toBeCloseTo(15.2, 0);
    expect(modelSizes(entry('llama-70b').config).checkpointBytes / 1e9).toBeCloseTo(141.1, 0);
    const q4 = modelSizes(entry('qwen-1.5b').config).onnxBytes;
    expect(q4.q4).toBeLessThan(q4.fp16 / 2);
    expect(q4.fp32).toBe(2 * q4.fp16);
  });
});

describe('fit', () => {
  it('puts a small model on the CPU, refuses the 70B in fp16 on 16 GB, and shows the numbers', () => {
    const small = fitModel(modelSizes(entry('qwen-1.5b').config), machine(), { contextLength: 8192 });
    expect(small.recommended).toBe('q4');
    const q4 = small.fits.find((f) => f.dtype === 'q4')!;
    expect(q4.verdict).toBe('cpu');
    expect(q4.totalBytes).toBe(q4.weightsBytes + q4.kvCacheBytes + q4.overheadBytes);
    // KV cache: 2 (k, v) × 28 layers × 2 kv heads × 8192 tokens × 128 × 4 bytes
    expect(q4.kvCacheBytes).toBe(2 * 28 * 2 * 8192 * 128 * 4);
    expect(q4.summary).toMatch(/q4: needs .* GiB \(weights .* \+ KV cache at 8192 tokens .* \+ overhead .*\); runs on the CPU \(16\.0 GiB RAM\); GPU memory unknown\./);
    const big = fitModel(modelSizes(entry('llama-70b').config), machine(), { contextLength: 8192 });
    expect(big.fits.every((f) => f.verdict === 'none')).toBe(true);
    expect(big.fits[0].summary).toContain('will not fit');
  });

  it('uses a GPU only with a GPU provider that works, and recommends fp16 when it fits there', () => {
    const gpus = [{ name: 'RTX 4090', memoryBytes: 24 * GiB }];
    const sizes = modelSizes(entry('qwen-7b').config);
    const withCuda = fitModel(sizes, machine({ gpus, providers: ['cpu', 'cuda'] }), { contextLength: 8192 });
    expect(withCuda.fits.find((f) => f.dtype === 'fp16')!.verdict).toBe('gpu');
    expect(withCuda.recommended).toBe('fp16');
    const cpuOnly = fitModel(sizes, machine({ gpus, providers: ['cpu'], totalMemoryBytes: 32 * GiB }), { contextLength: 8192 });
    expect(cpuOnly.fits.find((f) => f.dtype === 'fp16')!.verdict).toBe('cpu');
    expect(cpuOnly.recommended).toBe('q4');
    const small = fitModel(modelSizes(entry('qwen-32b').config), machine({ gpus, providers: ['cpu', 'cuda'], totalMemoryBytes: 64 * GiB }), { contextLength: 8192 });
    expect(small.recommended).toBe('q4f16');
  });

  it('counts the GPU only where models load on it: WebGPU when Settings picks it (the automatic choice never does)', () => {
    const gpus = [{ name: 'NVIDIA H200', memoryBytes: 140 * GiB }];
    const sizes = modelSizes(entry('qwen-7b').config);
    const withWebgpu = machine({ gpus, providers: ['cpu', 'webgpu'], totalMemoryBytes: 64 * GiB });
    const automatic = fitModel(sizes, withWebgpu, { contextLength: 8192 });
    expect(automatic.recommended).toBe('q4'); // fp16 would run on the CPU
    const fp16 = automatic.fits.find((f) => f.dtype === 'fp16')!;
    expect(fp16.verdict).toBe('cpu');
    expect(fp16.summary).toMatch(/runs on the CPU \(64\.0 GiB RAM\); models load on the CPU here, not the GPU \(140\.0 GiB\): pick webgpu in Settings to use it/);
    const chosen = fitModel(sizes, withWebgpu, { contextLength: 8192, providerChoice: 'webgpu' });
    expect(chosen.recommended).toBe('fp16');
    expect(chosen.fits.find((f) => f.dtype === 'fp16')!.summary).toMatch(/fits on the GPU \(webgpu, 140\.0 GiB\)/);
    // chosen but not starting here: the load falls back to the CPU
    const fallsBack = fitModel(sizes, machine({ gpus, providers: ['cpu'], totalMemoryBytes: 64 * GiB }), { contextLength: 8192, providerChoice: 'webgpu' });
    expect(fallsBack.recommended).toBe('q4');
    expect(fallsBack.fits[0].summary).toContain('no GPU provider starts here (Settings says what each one needs)');
  });

  it('says when the disk is too small for the download and the converted files', () => {
    const tight = machine({ disks: [{ role: 'hub-cache', path: '/c', freeBytes: 5 * GiB }, { role: 'models', path: '/m', freeBytes: 5 * GiB }] });
    const fit = fitModel(modelSizes(entry('qwen-1.5b').config), tight, { contextLength: 4096 }).fits.find((f) => f.dtype === 'fp16')!;
    expect(fit.diskBytes).toBe(fit.downloadBytes + fit.weightsBytes);
    expect(fit.diskOk).toBe(false);
    expect(fit.summary).toContain('not enough free disk');
    const onnx = fitModel(modelSizes(entry('qwen-1.5b').config), tight, { contextLength: 4096, sourceKind: 'onnx' }).fits.find((f) => f.dtype === 'q4')!;
    expect(onnx.diskBytes).toBe(onnx.weightsBytes);
    expect(onnx.diskOk).toBe(true);
  });

  it('reads nvidia-smi output', () => {
    expect(parseNvidiaSmi('NVIDIA H100 80GB HBM3, 81559, 80000\nNVIDIA A10, 23028, 1000\n')).toEqual([
      { name: 'NVIDIA H100 80GB HBM3', memoryBytes: 81559 * 1024 * 1024, freeBytes: 80000 * 1024 * 1024 },
      { name: 'NVIDIA A10', memoryBytes: 23028 * 1024 * 1024, freeBytes: 1000 * 1024 * 1024 },
    ]);
    expect(parseNvidiaSmi('')).toEqual([]);
  });
});

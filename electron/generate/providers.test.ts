import { describe, expect, it } from 'vitest';
import type * as ort from 'onnxruntime-node';
import { createSessionWithFallback, planProviders, platformOrder, sessionOptions } from './providers';

const available = [
  { name: 'cpu', available: true },
  { name: 'webgpu', available: true },
  { name: 'cuda', available: false, detail: 'Missing libonnxruntime_providers_cuda.so. Install the CUDA 12 provider files.' },
];

describe('planProviders', () => {
  it('orders providers per platform', () => {
    expect(platformOrder('linux', 'x64')).toEqual(['cuda', 'webgpu', 'cpu']);
    expect(platformOrder('win32', 'x64')[0]).toBe('dml');
    expect(platformOrder('darwin', 'arm64')[0]).toBe('coreml');
    expect(platformOrder('darwin', 'x64')).toEqual(['cpu']);
  });

  it('auto on linux with an NVIDIA GPU but no CUDA files: skips cuda saying how to install it', () => {
    const plan = planProviders('auto', available, { platform: 'linux', arch: 'x64', nvidiaGpu: true });
    expect(plan.order).toEqual(['cpu']);
    expect(plan.skipped[0].provider).toBe('cuda');
    expect(plan.skipped[0].reason).toMatch(/Install the CUDA 12 provider/);
  });

  it('auto without an NVIDIA GPU stays quiet about CUDA; WebGPU only when allowed', () => {
    expect(planProviders(undefined, available, { platform: 'linux', arch: 'x64', nvidiaGpu: false })).toEqual({ order: ['cpu'], skipped: [] });
    expect(planProviders('auto', available, { platform: 'linux', arch: 'x64', nvidiaGpu: false, allowWebgpuAuto: true }).order).toEqual(['webgpu', 'cpu']);
  });

  it('a named provider is tried first, then cpu; unknown names are refused', () => {
    expect(planProviders('webgpu', available).order).toEqual(['webgpu', 'cpu']);
    expect(planProviders('cpu', available).order).toEqual(['cpu']);
    expect(() => planProviders('tpu', available)).toThrow(/Unknown execution provider "tpu"/);
  });
});

describe('createSessionWithFallback', () => {
  it('falls back to the next provider with why it failed and how to fix it', async () => {
    const tried: string[] = [];
    const fake = { inputNames: [] } as unknown as ort.InferenceSession;
    const choice = await createSessionWithFallback('model.onnx', 'webgpu', {
      available,
      factory: async (_path, options) => {
        const provider = String(options.executionProviders?.[0]);
        tried.push(provider);
        if (provider === 'webgpu') throw new Error('Failed to create WebGPU adapter\nstack...');
        return fake;
      },
    });
    expect(tried).toEqual(['webgpu', 'cpu']);
    expect(choice.provider).toBe('cpu');
    expect(choice.session).toBe(fake);
    expect(choice.fallbacks[0].reason).toMatch(/webgpu failed to start: Failed to create WebGPU adapter\. WebGPU is experimental: it needs a GPU/);
  });

  it('says so when nothing starts', async () => {
    await expect(
      createSessionWithFallback('model.onnx', 'cpu', { available, factory: async () => Promise.reject(new Error('bad file')) }),
    ).rejects.toThrow(/Could not start the model on any execution provider:\n- cpu failed to start: bad file/);
  });
});

describe('sessionOptions', () => {
  it('keeps no memory pattern per input shape: a decoder grows a row every step, so none would be reused', () => {
    // bench/decode-memory.ts: with ORT's default each step kept one more pattern (3.6 MiB per 1,000 steps on the
    // test-sized model, ~48 KB a step on the 1.5B)
    expect(sessionOptions('cpu', 2)).toMatchObject({ executionProviders: ['cpu'], intraOpNumThreads: 2, enableMemPattern: false, graphOptimizationLevel: 'all' });
    expect(sessionOptions('cuda')).toMatchObject({ executionProviders: ['cuda'], enableMemPattern: false });
    expect(sessionOptions('cuda')).not.toHaveProperty('intraOpNumThreads');
  });

  it('keeps the named outputs on the GPU with WebGPU only (the binding copies every other provider\'s outputs back)', () => {
    const presents = ['present.0.key', 'present.0.value'];
    expect(sessionOptions('webgpu', undefined, presents).preferredOutputLocation).toEqual({ 'present.0.key': 'gpu-buffer', 'present.0.value': 'gpu-buffer' });
    for (const provider of ['cuda', 'dml', 'cpu'] as const) expect(sessionOptions(provider, undefined, presents)).not.toHaveProperty('preferredOutputLocation');
    expect(sessionOptions('webgpu')).not.toHaveProperty('preferredOutputLocation'); // logits always come back
  });
});

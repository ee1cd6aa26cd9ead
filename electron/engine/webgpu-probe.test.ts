import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { describeProviders } from './providers-info';
import { probeFailureReason, probeWebgpu } from './webgpu-probe';

const ORT_NO_ADAPTER =
  '/onnxruntime_src/onnxruntime/core/providers/webgpu/webgpu_context.cc:136 onnxruntime::webgpu::WebGpuContext::Initialize(...)::<lambda()> ' +
  'adapter_result.status == wgpu::RequestAdapterStatus::Success was false. Failed to get a WebGPU adapter: No supported adapters';

describe('WebGPU probe', () => {
  it('reports "no adapter" in ORT words when the session cannot start', async () => {
    const probe = await probeWebgpu(async () => {
      throw new Error(ORT_NO_ADAPTER);
    });
    expect(probe).toEqual({ available: false, reason: 'No supported adapters' });
    expect(probeFailureReason('first line\nsecond')).toBe('first line');
  });

  it('counts WebGPU available only when its session computes the probe right', async () => {
    // the probe graph run on the CPU provider stands in for a working GPU
    const onCpu = (model: Uint8Array) => ort.InferenceSession.create(model, { executionProviders: ['cpu'] });
    expect(await probeWebgpu(onCpu)).toEqual({ available: true });
  });

  it('says "No GPU adapter" in the provider list instead of calling a bundled WebGPU available', () => {
    const backends = [{ name: 'webgpu', bundled: true }];
    const [without] = describeProviders(backends, () => false, '/ort', { available: false, reason: 'No supported adapters' });
    expect(without).toEqual({
      name: 'webgpu',
      available: false,
      detail: 'No GPU adapter: No supported adapters. WebGPU needs a GPU with current Vulkan, Direct3D 12 or Metal drivers.',
    });
    expect(describeProviders(backends, () => false, '/ort', { available: true })[0]!.available).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import type { EngineInfo } from '../../electron/contract/api';
import { asProviderChoice, availability, choiceWarning, derivedLabel, modelChoice, providerOptions } from './providerSettings';

const info = (providers: EngineInfo['executionProviders']): EngineInfo => ({
  ortVersion: '1.30.0',
  executionProviders: providers,
  platform: 'linux',
  arch: 'x64',
  cpuModel: 'cpu',
  cpuCount: 2,
  totalMemoryBytes: 1,
  freeMemoryBytes: 1,
  nodeVersion: 'v22',
  pid: 1,
});

const linux = info([
  { name: 'cpu', available: true },
  { name: 'webgpu', available: true, detail: 'Experimental; needs a GPU.' },
  { name: 'cuda', available: false, detail: 'Missing libonnxruntime_providers_cuda.so. Install the CUDA 12 provider files.' },
]);

describe('provider choices', () => {
  it('marks each choice available or not, from engine.info, with the fix text', () => {
    const options = providerOptions(linux);
    expect(options.map((o) => o.value)).toEqual(['auto', 'cuda', 'dml', 'coreml', 'webgpu', 'cpu']);
    expect(options[0]).toMatchObject({ label: 'Automatic (best available)', available: true });
    expect(options.find((o) => o.value === 'cuda')).toMatchObject({
      label: 'CUDA (NVIDIA) — not available here',
      available: false,
      detail: expect.stringContaining('Install the CUDA 12 provider files'),
    });
    // not listed by this build at all: the platform it needs
    expect(options.find((o) => o.value === 'dml')).toMatchObject({ available: false, detail: expect.stringContaining('Windows') });
    expect(options.find((o) => o.value === 'webgpu')).toMatchObject({ label: 'WebGPU', available: true, detail: 'Experimental; needs a GPU.' });
    expect(options.find((o) => o.value === 'cpu')).toMatchObject({ label: 'CPU', available: true });
  });

  it('does not claim anything before the engine answers, except auto and cpu', () => {
    expect(availability('cuda', null)).toEqual({});
    expect(availability('cpu', null)).toEqual({ available: true });
    expect(providerOptions(undefined).find((o) => o.value === 'cuda')?.label).toBe('CUDA (NVIDIA)');
    expect(choiceWarning('cuda', null)).toBeUndefined();
  });

  it('warns with the fix only when the chosen provider cannot run here', () => {
    expect(choiceWarning('cuda', linux)).toMatch(/^CUDA \(NVIDIA\) is not available on this machine, .*CPU\)\. Missing libonnxruntime_providers_cuda\.so/);
    expect(choiceWarning('webgpu', linux)).toBeUndefined();
    expect(choiceWarning('auto', linux)).toBeUndefined();
  });

  it('words auto as the Settings default on a model', () => {
    expect(providerOptions(linux, 'model', 'webgpu')[0].label).toBe('Settings default (webgpu)');
    expect(providerOptions(linux, 'model')[0].label).toBe('Settings default (automatic)');
    expect(modelChoice({})).toBe('auto');
    expect(modelChoice({ providerOverride: 'cpu' })).toBe('cpu');
    expect(asProviderChoice('webgpu')).toBe('webgpu');
    expect(asProviderChoice('tpu')).toBe('auto');
  });

  it('says what a merged model was fine-tuned from', () => {
    expect(derivedLabel({ baseName: 'Qwen 1.5B', derivedFrom: 'id-1' })).toBe('fine-tuned from Qwen 1.5B');
    expect(derivedLabel({ derivedFrom: 'id-1' })).toBe('fine-tuned from id-1');
    expect(derivedLabel({})).toBeUndefined();
  });
});

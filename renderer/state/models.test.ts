import { describe, expect, it } from 'vitest';
import type { LoadedModel, ModelInfo } from '../../electron/contract/inference';
import { fallbackNotes, modelRowNotes, modelSummary, pickModelId, pickSecondModelId, runningLabel, withLoaded, withUnloaded } from './models';

const model = (id: string, over: Partial<ModelInfo> = {}): ModelInfo => ({
  id,
  name: `Model ${id}`,
  path: `/models/${id}`,
  arch: 'qwen2',
  dtype: 'fp32',
  dtypes: ['fp32', 'q4'],
  sizeBytes: 1536 * 1024 * 1024,
  source: 'converted',
  addedAt: 0,
  ...over,
});

const loaded: LoadedModel = {
  modelId: 'b',
  provider: 'cpu',
  dtype: 'q4',
  contextLength: 4096,
  fallbacks: [{ provider: 'cuda', reason: 'The CUDA provider libraries are not installed.' }],
  estimatedBytes: 1,
  loadMs: 10,
};

describe('models', () => {
  it('summarises a model and what runs', () => {
    expect(modelSummary(model('a'))).toBe('qwen2 · fp32, q4 · 1.5 GiB');
    expect(runningLabel(loaded)).toBe('cpu · q4');
    expect(runningLabel(undefined)).toBeUndefined();
    expect(fallbackNotes(loaded)).toEqual(['cuda not used: The CUDA provider libraries are not installed.']);
    expect(fallbackNotes({ ...loaded, advice: 'Convert it again.' })).toEqual(['cuda not used: The CUDA provider libraries are not installed.', 'Convert it again.']);
  });

  it('a Models row drops the advice its own re-convert offer already gives, and keeps it otherwise', () => {
    const onWebgpu = { ...loaded, fallbacks: [], advice: 'Re-convert it for WebGPU.' };
    const offer = { state: 'available' as const, why: 'runs on WebGPU', sourceFolder: '/hf', portable: true as const };
    expect(modelRowNotes({ ...model('a'), loaded: onWebgpu, speedUpgrade: offer })).toEqual([]);
    expect(modelRowNotes({ ...model('a'), loaded: onWebgpu, speedUpgrade: { state: 'running', jobId: 'j' } })).toEqual([]);
    const onCpu = { ...loaded, fallbacks: [], advice: 'Re-convert it for speed.' };
    expect(modelRowNotes({ ...model('a'), loaded: onCpu, speedUpgrade: { ...offer, portable: undefined } })).toEqual([]);
    expect(modelRowNotes({ ...model('a'), loaded: onCpu })).toEqual(['Re-convert it for speed.']); // a folder from elsewhere: no offer
    expect(modelRowNotes({ ...model('a'), loaded: onWebgpu, speedUpgrade: { state: 'unavailable', reason: 'source missing', message: 'gone' } })).toEqual(['Re-convert it for WebGPU.']);
    expect(modelRowNotes({ ...model('a'), loaded })).toEqual(['cuda not used: The CUDA provider libraries are not installed.']);
  });

  it('applies load and unload results to the list', () => {
    const list = withLoaded([model('a'), model('b')], loaded);
    expect(list[1].loaded).toEqual(loaded);
    expect(list[0].loaded).toBeUndefined();
    expect(withUnloaded(list, 'b')[1]).not.toHaveProperty('loaded');
  });

  it('preselects sensibly', () => {
    const list = [model('a'), model('b', { loaded })];
    expect(pickModelId(list, 'a')).toBe('a');
    expect(pickModelId(list, 'gone')).toBe('b');
    expect(pickModelId([], undefined)).toBeUndefined();
    expect(pickSecondModelId(list, 'a', undefined)).toBe('b');
    expect(pickSecondModelId([model('a')], 'a', undefined)).toBe('a');
  });
});

import { describe, expect, it } from 'vitest';
import type { Job } from '../../electron/contract/api';
import type { ModelInfo } from '../../electron/contract/inference';
import { graphLabel, newlyEnded, reconvertJobFor } from './reconvert';

const job = (id: string, state: Job['state']): Job => ({
  id, kind: 'convert', state, title: id, progress: 0, pausable: false, resumable: false, createdAt: 0, updatedAt: 0,
});
const model = (patch: Partial<ModelInfo> = {}): ModelInfo => ({
  id: 'm1', name: 'R1', path: '/m', arch: 'qwen2', dtype: 'q4', dtypes: ['q4'], sizeBytes: 1, source: 'converted', addedAt: 0, ...patch,
});

describe('re-convert for speed (Models screen logic)', () => {
  it('names the folder’s graph and converter', () => {
    expect(graphLabel({ converterVersion: '1.0.0', graph: 'standard' })).toBe('standard graph · converter 1.0.0');
    expect(graphLabel({ converterVersion: '1.2.0', graph: 'fused-xkv-v1' })).toBe('fused graph · converter 1.2.0');
    expect(graphLabel({ converterVersion: '1.3.0', graph: 'fused-xkv-v2' })).toBe('fused graph · converter 1.3.0');
    expect(graphLabel({ converterVersion: '1.1.0', graph: 'fused-gqa-v1' })).toBe('fused graph (portable) · converter 1.1.0');
    expect(graphLabel({ converterVersion: '9.0.0', graph: 'fused-new-v9' })).toBe('fused-new-v9 graph · converter 9.0.0');
    expect(graphLabel(undefined)).toBeUndefined();
  });

  it('shows the job the app says runs, else the one started here', () => {
    const jobs = [job('a', 'running'), job('b', 'failed')];
    expect(reconvertJobFor(model({ speedUpgrade: { state: 'running', jobId: 'a' } }), jobs, { m1: 'b' })?.id).toBe('a');
    expect(reconvertJobFor(model(), jobs, { m1: 'b' })?.id).toBe('b');
    expect(reconvertJobFor(model(), jobs, {})).toBeUndefined();
  });

  it('reports each watched job once when it ends', () => {
    const reported = new Set<string>();
    expect(newlyEnded([job('a', 'running')], new Set(['a']), reported)).toEqual([]);
    expect(newlyEnded([job('a', 'succeeded'), job('x', 'failed')], new Set(['a']), reported)).toEqual(['a']);
    reported.add('a');
    expect(newlyEnded([job('a', 'succeeded')], new Set(['a']), reported)).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import type { Job } from '../../electron/contract/api';
import { estimateEta, mergeJobLists, upsertJob } from './jobs';

const job = (over: Partial<Job>): Job => ({
  id: 'a',
  kind: 'diagnostics',
  state: 'running',
  title: 'Test job',
  progress: 0,
  pausable: false,
  resumable: false,
  createdAt: 1000,
  updatedAt: 1000,
  ...over,
});

describe('upsertJob', () => {
  it('adds new jobs newest first', () => {
    const list = upsertJob(upsertJob([], job({ id: 'old', createdAt: 1 })), job({ id: 'new', createdAt: 2 }));
    expect(list.map((j) => j.id)).toEqual(['new', 'old']);
  });

  it('never lets a stale update overwrite a newer one', () => {
    const list = upsertJob([job({ progress: 0.5, updatedAt: 2000 })], job({ progress: 0.2, updatedAt: 1500 }));
    expect(list[0].progress).toBe(0.5);
    expect(upsertJob(list, job({ progress: 0.7, updatedAt: 2500 }))[0].progress).toBe(0.7);
  });
});

describe('mergeJobLists', () => {
  it('takes the server list but keeps newer event updates and drops jobs the server no longer has', () => {
    const current = [job({ id: 'a', progress: 0.9, updatedAt: 5000 }), job({ id: 'gone' })];
    const fresh = [job({ id: 'a', progress: 0.5, updatedAt: 4000 }), job({ id: 'b', createdAt: 3000 })];
    const merged = mergeJobLists(current, fresh);
    expect(merged.map((j) => [j.id, j.progress])).toEqual([
      ['b', 0],
      ['a', 0.9],
    ]);
  });
});

describe('estimateEta', () => {
  it('uses the engine estimate when given', () => {
    expect(estimateEta(job({ etaSeconds: 12, progress: 0.5 }), 9999)).toBe(12);
  });

  it('extrapolates from progress so far: half done in 4 s leaves 4 s', () => {
    expect(estimateEta(job({ progress: 0.5, createdAt: 0, updatedAt: 4000 }), 4000)).toBeCloseTo(4, 6);
  });

  it('has no estimate before progress starts or after the job ends', () => {
    expect(estimateEta(job({ progress: 0 }), 5000)).toBeUndefined();
    expect(estimateEta(job({ state: 'cancelled', progress: 0.4 }), 5000)).toBeUndefined();
  });
});

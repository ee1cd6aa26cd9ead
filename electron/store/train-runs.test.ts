import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Store } from './index';

describe('train runs repository', () => {
  let store: Store;
  beforeEach(() => {
    store = openDatabase(':memory:');
  });
  afterEach(() => store.close());

  const newRun = () => store.trainRuns.create({ name: 'r', baseModelId: 'm', baseName: 'Base', checkpoint: '/ckpt', outDir: '/runs/r', config: { hyper: { rank: 8 } } });

  it('keeps config, state and metrics per step, in order, reopenable', () => {
    const run = newRun();
    expect(run).toMatchObject({ state: 'running', step: 0, config: { hyper: { rank: 8 } } });
    for (const step of [2, 1, 3]) store.trainRuns.addStep(run.id, { step, loss: 4 - step, lr: 1e-4, gradNorm: 1, tokens: 10, tokensPerSecond: 99, at: step });
    store.trainRuns.addValidation(run.id, 2, 2.5);
    store.trainRuns.update(run.id, { state: 'completed', step: 3, adapterPath: '/runs/r/adapter', evaluation: { lossBefore: 3, lossAfter: 1 } });
    const { steps, validation } = store.trainRuns.metrics(run.id);
    expect(steps.map((s) => [s.step, s.loss])).toEqual([[1, 3], [2, 2], [3, 1]]);
    expect(steps[0].tokensPerSecond).toBe(99);
    expect(validation).toEqual([{ step: 2, loss: 2.5 }]);
    expect(store.trainRuns.lastLoss(run.id)).toBe(1);
    expect(store.trainRuns.get(run.id)).toMatchObject({ state: 'completed', adapterPath: '/runs/r/adapter', evaluation: { lossAfter: 1 } });
  });

  it('on resume drops the steps recorded after the checkpoint, and a redone step replaces its row', () => {
    const run = newRun();
    for (const step of [1, 2, 3, 4]) store.trainRuns.addStep(run.id, { step, loss: step, lr: 0, gradNorm: 0, tokens: 1, at: step });
    store.trainRuns.addValidation(run.id, 4, 9);
    store.trainRuns.dropMetricsAfter(run.id, 2);
    store.trainRuns.addStep(run.id, { step: 3, loss: 30, lr: 0, gradNorm: 0, tokens: 1, at: 5 });
    const { steps, validation } = store.trainRuns.metrics(run.id);
    expect(steps.map((s) => s.loss)).toEqual([1, 2, 30]);
    expect(validation).toEqual([]);
  });

  it('marks runs left running by a crashed process as interrupted when the database opens again', () => {
    const run = newRun();
    const other = newRun();
    store.trainRuns.update(other.id, { state: 'paused' });
    expect(store.trainRuns.interruptRunning()).toBe(1);
    expect(store.trainRuns.get(run.id)?.state).toBe('interrupted');
    expect(store.trainRuns.get(other.id)?.state).toBe('paused');
    expect(store.trainRuns.byJob('none')).toBeUndefined();
  });
});

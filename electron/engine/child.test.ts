import { describe, expect, it } from 'vitest';
import { describeExit, exitLatch, type EngineExit } from './child';

describe('exitLatch', () => {
  it('reports the first exit once to every listener, late listeners included', () => {
    const latch = exitLatch();
    const early: EngineExit[] = [];
    latch.onExit((exit) => early.push(exit));
    expect(latch.exited()).toBe(false);
    latch.finish({ code: null, signal: 'SIGKILL' });
    latch.finish({ code: 0, signal: null }); // a second report (exit after error) is ignored
    const late: EngineExit[] = [];
    latch.onExit((exit) => late.push(exit));
    expect(latch.exited()).toBe(true);
    expect(early).toEqual([{ code: null, signal: 'SIGKILL' }]);
    expect(late).toEqual(early);
    expect(describeExit(late[0])).toBe('signal SIGKILL');
  });
});

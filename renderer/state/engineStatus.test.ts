import { describe, expect, it } from 'vitest';
import type { EngineStatus } from '../../electron/contract/api';
import { describeStatus, detectCrash } from './engineStatus';

const status = (over: Partial<EngineStatus>): EngineStatus => ({ state: 'ready', restarts: 0, since: 1, pid: 42, ...over });

describe('describeStatus', () => {
  it('puts the link before the engine', () => {
    expect(describeStatus('disconnected', status({})).label).toBe('Disconnected');
    expect(describeStatus('unauthorized', status({})).label).toBe('Access token refused');
  });

  it('labels each engine state', () => {
    expect(describeStatus('connected', status({})).tone).toBe('ok');
    expect(describeStatus('connected', null).label).toBe('Connecting…');
    const crashed = describeStatus('connected', status({ state: 'crashed', lastError: 'engine exited with signal SIGKILL' }));
    expect(crashed).toMatchObject({ tone: 'error', label: 'Engine crashed', canRestart: true });
    expect(crashed.detail).toContain('SIGKILL');
    expect(describeStatus('connected', status({ state: 'restarting' }), true).label).toBe('Engine crashed — restarting…');
    expect(describeStatus('connected', status({ state: 'restarting' }), false).label).toBe('Engine restarting…');
  });
});

describe('detectCrash', () => {
  it('sees a crashed state once', () => {
    expect(detectCrash(status({}), status({ state: 'crashed' }))).toBe(true);
    expect(detectCrash(status({ state: 'crashed' }), status({ state: 'crashed' }))).toBe(false);
  });

  it('sees a crash it missed through the restart count', () => {
    expect(detectCrash(status({ restarts: 0 }), status({ restarts: 1, pid: 43 }))).toBe(true);
    expect(detectCrash(status({ restarts: 1 }), status({ restarts: 1 }))).toBe(false);
    expect(detectCrash(null, status({ restarts: 3 }))).toBe(false);
  });
});

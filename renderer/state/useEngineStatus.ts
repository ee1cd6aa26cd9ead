import { useCallback, useEffect, useRef, useState } from 'react';
import type { EngineStatus } from '../../electron/contract/api';
import { errorMessage } from '../api';
import { useApi, useConnection } from './ApiContext';
import { detectCrash } from './engineStatus';

/** Polling backs up the `engine.status` event: a missed event (or a dropped stream) is corrected within this time. */
const POLL_MS = 4000;

export interface CrashNotice {
  message: string;
  at: number;
}

export interface EngineStatusState {
  status: EngineStatus | null;
  crash: CrashNotice | null;
  restarting: boolean;
  restartError: string | null;
  restart(): Promise<void>;
  dismissCrash(): void;
}

/** Owns the engine status for the whole app (one subscription, one poller); read it with useEngine(). */
export function useEngineStatusSource(): EngineStatusState {
  const api = useApi();
  const connection = useConnection();
  const [status, setStatus] = useState<EngineStatus | null>(null);
  const [crash, setCrash] = useState<CrashNotice | null>(null);
  const [restarting, setRestarting] = useState(false);
  const [restartError, setRestartError] = useState<string | null>(null);
  const last = useRef<EngineStatus | null>(null);
  const manualRestart = useRef(false);

  const accept = useCallback((next: EngineStatus) => {
    const previous = last.current;
    if (previous && next.since < previous.since) return; // an older poll answered after a newer event
    if (!manualRestart.current && detectCrash(previous, next)) {
      const cause = next.lastError ?? previous?.lastError;
      setCrash({ message: cause ? `The engine ${cause.replace(/^engine /, '')}.` : 'The engine stopped unexpectedly.', at: next.since });
    }
    if (next.state === 'ready') manualRestart.current = false;
    last.current = next;
    setStatus(next);
  }, []);

  useEffect(() => api.on('engine.status', accept), [api, accept]);

  useEffect(() => {
    if (connection !== 'connected') return;
    let alive = true;
    const poll = () => api.call('engine.status', {}).then((next) => alive && accept(next), () => undefined);
    void poll();
    const timer = setInterval(poll, POLL_MS);
    return () => {
      alive = false;
      clearInterval(timer);
    };
  }, [api, accept, connection]);

  const restart = useCallback(async () => {
    setRestarting(true);
    setRestartError(null);
    manualRestart.current = true;
    setCrash(null);
    try {
      accept(await api.call('engine.restart', {}));
    } catch (reason) {
      manualRestart.current = false;
      setRestartError(errorMessage(reason));
    } finally {
      setRestarting(false);
    }
  }, [api, accept]);

  return { status, crash, restarting, restartError, restart, dismissCrash: () => setCrash(null) };
}

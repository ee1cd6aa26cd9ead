/**
 * The Fine-tune screen's data: base models, the data report, the estimate, runs (history and the open one, refetched
 * on `finetune.update` events), and the actions on a run. Components only render what these return.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Job } from '../../electron/contract/api';
import type { BaseModel, DataReport, Estimate, RunInput, RunSummary } from '../../electron/contract/finetune';
import { errorMessage } from '../api';
import { useApi } from './ApiContext';
import { useQuery } from './useQuery';

const NO_BASES: BaseModel[] = [];
const NO_RUNS: RunSummary[] = [];

export interface AsyncState<T> {
  data: T | null;
  error: string | null;
  busy: boolean;
}

function useAsync<T>() {
  const [state, setState] = useState<AsyncState<T>>({ data: null, error: null, busy: false });
  const run = useCallback(async (work: () => Promise<T>): Promise<T | null> => {
    setState((s) => ({ ...s, error: null, busy: true }));
    try {
      const data = await work();
      setState({ data, error: null, busy: false });
      return data;
    } catch (reason) {
      setState({ data: null, error: errorMessage(reason), busy: false });
      return null;
    }
  }, []);
  const clear = useCallback(() => setState({ data: null, error: null, busy: false }), []);
  return { state, run, clear };
}

export function useBaseModels(): { models: BaseModel[]; error: string | null } {
  const bases = useQuery('finetune.baseModels', {});
  return { models: bases.data ?? NO_BASES, error: bases.error };
}

export function useDataReport() {
  const api = useApi();
  const { state, run, clear } = useAsync<DataReport>();
  const check = useCallback(
    (input: { folder: string; modelId?: string; maxLength: number; valFraction: number; seed: number; map?: Record<string, string> }) =>
      run(() => api.call('finetune.checkData', input)),
    [api, run],
  );
  return { ...state, check, clear };
}

export function useEstimate() {
  const api = useApi();
  const { state, run, clear } = useAsync<Estimate>();
  const estimate = useCallback((input: RunInput) => run(() => api.call('finetune.estimate', input)), [api, run]);
  return { ...state, estimate, clear };
}

/** Run history, newest first; refreshed when any run changes state. */
export function useRuns() {
  const api = useApi();
  const history = useQuery('finetune.runs', {});
  const { refresh } = history;
  useEffect(() => {
    let lastState = new Map<string, string>();
    return api.on('finetune.update', (update) => {
      if (lastState.get(update.runId) !== update.state) refresh();
      lastState = new Map(lastState).set(update.runId, update.state);
    });
  }, [api, refresh]);
  return { runs: history.data ?? NO_RUNS, refresh };
}

/** One run in full, refetched (at most every REFETCH_MS) while updates for it arrive. */
const REFETCH_MS = 250;

export function useRun(runId: string | null) {
  const api = useApi();
  const run = useQuery('finetune.run', runId ? { runId } : null);
  const { refresh: load } = run;
  const [actionError, setError] = useState<string | null>(null);
  const [acting, setActing] = useState(false);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(() => {
    setError(null);
    const off = api.on('finetune.update', (update) => {
      if (update.runId !== runId || timer.current) return;
      timer.current = setTimeout(() => {
        timer.current = null;
        load();
      }, REFETCH_MS);
    });
    return () => {
      off();
      if (timer.current) clearTimeout(timer.current);
      timer.current = null;
    };
  }, [api, runId, load]);

  const act = useCallback(
    async (method: 'finetune.pause' | 'finetune.cancel' | 'finetune.resume') => {
      if (!runId) return;
      setActing(true);
      setError(null);
      try {
        await api.call(method, { runId });
      } catch (reason) {
        setError(errorMessage(reason));
      } finally {
        setActing(false);
        load();
      }
    },
    [api, runId, load],
  );

  const merge = useCallback(
    async (dtype: 'q4' | 'fp16') => {
      if (!runId) return null;
      setError(null);
      try {
        return await api.call('finetune.merge', { runId, dtype });
      } catch (reason) {
        setError(errorMessage(reason));
        return null;
      }
    },
    [api, runId],
  );

  // the last run read stays in the query while another is read: show only the one asked for
  const detail = runId && run.data?.id === runId ? run.data : null;
  const error = actionError ?? (runId ? run.error : null);
  return { detail, error, acting, reload: load, pause: () => act('finetune.pause'), cancel: () => act('finetune.cancel'), resume: () => act('finetune.resume'), merge };
}

export function useStartRun() {
  const api = useApi();
  const { state, run } = useAsync<RunSummary>();
  const start = useCallback((input: RunInput, force = false) => run(() => api.call('finetune.start', { ...input, force })), [api, run]);
  return { ...state, start };
}

/** One job as its updates arrive (the merge job of a run). */
export function useJob(jobId: string | null): Job | null {
  const api = useApi();
  const [job, setJob] = useState<Job | null>(null);
  useEffect(() => {
    setJob(null);
    if (!jobId) return;
    api.call('jobs.list', {}).then((jobs) => setJob((current) => current ?? jobs.find((j) => j.id === jobId) ?? null), () => undefined);
    return api.on('job.update', (update) => {
      if (update.id === jobId) setJob(update);
    });
  }, [api, jobId]);
  return job;
}

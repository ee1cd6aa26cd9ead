import { useCallback, useEffect, useMemo, useState } from 'react';
import type { Job } from '../../electron/contract/api';
import { errorMessage } from '../api';
import type { JobActions } from '../components/JobRow';
import { useApi, useConnection } from './ApiContext';
import { isActive, mergeJobLists, upsertJob } from './jobs';

/** While a job runs, the list is also re-read at this pace in case an update event was missed. */
const ACTIVE_POLL_MS = 3000;

export interface JobsState {
  jobs: Job[];
  error: string | null;
  startDiagnostics(steps: number, stepMs: number): Promise<void>;
  /** Cancel, pause and resume: each puts the job's new state into the list, or sets `error`. */
  actions: JobActions;
}

export function useJobs(): JobsState {
  const api = useApi();
  const connection = useConnection();
  const [jobs, setJobs] = useState<Job[]>([]);
  const [error, setError] = useState<string | null>(null);
  const anyActive = jobs.some(isActive);

  useEffect(() => api.on('job.update', (job) => setJobs((list) => upsertJob(list, job))), [api]);

  useEffect(() => {
    if (connection !== 'connected') return;
    let alive = true;
    const load = () =>
      api.call('jobs.list', {}).then(
        (fresh) => alive && setJobs((list) => mergeJobLists(list, fresh)),
        (reason: unknown) => alive && setError(errorMessage(reason)),
      );
    void load();
    const timer = anyActive ? setInterval(load, ACTIVE_POLL_MS) : undefined;
    return () => {
      alive = false;
      clearInterval(timer);
    };
  }, [api, connection, anyActive]);

  const startDiagnostics = useCallback(
    async (steps: number, stepMs: number) => {
      setError(null);
      try {
        const job = await api.call('jobs.startDiagnostics', { steps, stepMs });
        setJobs((list) => upsertJob(list, job));
      } catch (reason) {
        setError(errorMessage(reason));
      }
    },
    [api],
  );

  const actions = useMemo<JobActions>(() => {
    const act = (method: 'jobs.cancel' | 'jobs.pause' | 'jobs.resume') => (jobId: string) => {
      setError(null);
      api.call(method, { jobId }).then(
        (job) => setJobs((list) => upsertJob(list, job)),
        (reason: unknown) => setError(errorMessage(reason)),
      );
    };
    return { cancel: act('jobs.cancel'), pause: act('jobs.pause'), resume: act('jobs.resume') };
  }, [api]);

  return { jobs, error, startDiagnostics, actions };
}

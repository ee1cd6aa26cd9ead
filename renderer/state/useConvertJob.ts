import { useCallback, useEffect, useRef, useState } from 'react';
import type { Job } from '../../electron/contract/api';
import { errorMessage } from '../api';
import type { JobActions } from '../components/JobRow';
import { useApi } from './ApiContext';
import { convertFormProblem, jobStates, newlySucceeded, toStartConvertInput, visibleConvertJobs, type ConvertForm } from './convertJob';
import { useJobs } from './useJobs';

export interface ConvertJobState {
  /** The conversions the card shows (running ones, and those started here until dismissed), newest first. */
  jobs: Job[];
  starting: boolean;
  /** Why the last start failed (bad form or refused by the app). */
  error: string | null;
  start(form: ConvertForm): Promise<void>;
  actions: JobActions;
  dismiss(jobId: string): void;
}

/**
 * Conversions as the Models screen sees them, on top of the shared jobs hook (list, job.update events, cancel/pause/resume).
 * `onSucceeded` runs once per conversion that finishes (the screen re-reads its model list).
 */
export function useConvertJob(onSucceeded: (job: Job) => void): ConvertJobState {
  const api = useApi();
  const { jobs, error: jobsError, actions } = useJobs();
  const [mine, setMine] = useState<ReadonlySet<string>>(new Set());
  const [starting, setStarting] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const seen = useRef<Map<string, Job['state']>>(new Map());
  const notify = useRef(onSucceeded);
  notify.current = onSucceeded;

  useEffect(() => {
    for (const id of newlySucceeded(seen.current, jobs, mine)) {
      const job = jobs.find((j) => j.id === id);
      if (job) notify.current(job);
    }
    seen.current = jobStates(jobs);
  }, [jobs, mine]);

  const start = useCallback(
    async (form: ConvertForm) => {
      const problem = convertFormProblem(form);
      setError(problem);
      if (problem) return;
      setStarting(true);
      try {
        const job = await api.call('jobs.startConvert', toStartConvertInput(form));
        setMine((ids) => new Set(ids).add(job.id));
      } catch (reason) {
        setError(errorMessage(reason));
      } finally {
        setStarting(false);
      }
    },
    [api],
  );

  const dismiss = useCallback((jobId: string) => {
    setMine((ids) => {
      const next = new Set(ids);
      next.delete(jobId);
      return next;
    });
  }, []);

  return { jobs: visibleConvertJobs(jobs, mine), starting, error: error ?? jobsError, start, actions, dismiss };
}

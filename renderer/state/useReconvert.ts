import { useCallback, useEffect, useRef, useState } from 'react';
import type { Job } from '../../electron/contract/api';
import type { ModelInfo } from '../../electron/contract/inference';
import { errorMessage } from '../api';
import type { JobActions } from '../components/JobRow';
import { useApi } from './ApiContext';
import { newlyEnded, reconvertJobFor } from './reconvert';
import { useJobs } from './useJobs';

export interface ReconvertState {
  /** The re-conversion job to show on a model's row, if any. */
  jobFor(model: ModelInfo): Job | undefined;
  /** Why the last start for a model was refused. */
  errors: Readonly<Record<string, string>>;
  starting: string | null;
  start(modelId: string): Promise<void>;
  dismiss(modelId: string): void;
  actions: JobActions;
}

/**
 * "Re-convert for speed" as the Models screen sees it, on top of the shared jobs hook. `onEnded` runs once each time
 * a re-conversion this screen shows stops running (the model list is re-read: its graph or its offer changed).
 */
export function useReconvert(models: readonly ModelInfo[], onEnded: () => void): ReconvertState {
  const api = useApi();
  const { jobs, actions } = useJobs();
  const [startedHere, setStartedHere] = useState<Record<string, string>>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [starting, setStarting] = useState<string | null>(null);
  const reported = useRef<Set<string>>(new Set());
  const notify = useRef(onEnded);
  notify.current = onEnded;

  useEffect(() => {
    const watched = new Set(Object.values(startedHere));
    for (const model of models) if (model.speedUpgrade?.state === 'running') watched.add(model.speedUpgrade.jobId);
    const ended = newlyEnded(jobs, watched, reported.current);
    ended.forEach((id) => reported.current.add(id));
    if (ended.length > 0) notify.current();
  }, [jobs, models, startedHere]);

  const start = useCallback(
    async (modelId: string) => {
      setStarting(modelId);
      setErrors(({ [modelId]: _cleared, ...rest }) => rest);
      try {
        const job = await api.call('models.reconvert', { modelId });
        setStartedHere((ids) => ({ ...ids, [modelId]: job.id }));
        notify.current(); // the row now says it runs
      } catch (reason) {
        setErrors((all) => ({ ...all, [modelId]: errorMessage(reason) }));
        notify.current(); // e.g. the checkpoint went away since the list was read: the row then says why
      } finally {
        setStarting(null);
      }
    },
    [api],
  );

  const dismiss = useCallback((modelId: string) => {
    setStartedHere(({ [modelId]: _dismissed, ...rest }) => rest);
    setErrors(({ [modelId]: _cleared, ...rest }) => rest);
  }, []);

  const jobFor = useCallback((model: ModelInfo) => reconvertJobFor(model, jobs, startedHere), [jobs, startedHere]);
  return { jobFor, errors, starting, start, dismiss, actions };
}

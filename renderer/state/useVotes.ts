import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Job } from '../../electron/contract/api';
import type { Vote } from '../../electron/contract/chat';
import type { GenerationSettings } from '../../electron/contract/inference';
import { errorMessage } from '../api';
import { useApi } from './ApiContext';
import { useQuery } from './useQuery';

/** No votes read yet (one object, so effects that depend on the list do not re-run each render). */
const NONE: Vote[] = [];

/** Re-reading a running vote's samples at most this often (the job's updates come every 100 ms). */
const REFRESH_MS = 400;

export interface VotesState {
  votes: Vote[];
  /** The job of each vote, as last reported. */
  jobs: Record<string, Job>;
  error: string | null;
  start(samples: number, settings?: GenerationSettings, modelId?: string): Promise<void>;
  cancel(jobId: string): Promise<void>;
  pause(jobId: string): Promise<void>;
  resume(jobId: string): Promise<void>;
}

/** The majority votes run on one reply: loads them, starts one, follows its job and re-reads its samples. */
export function useVotes(messageId: string, enabled: boolean): VotesState {
  const api = useApi();
  const listed = useQuery('votes.forMessage', enabled ? { messageId } : null);
  const { setData } = listed;
  const votes = listed.data ?? NONE;
  const setVotes = useCallback((update: (votes: Vote[]) => Vote[]) => setData((old) => update(old ?? [])), [setData]);
  /** Jobs as their own updates and the controls reported them. */
  const [updated, setJobs] = useState<Record<string, Job>>({});
  const [error, setError] = useState<string | null>(null);
  const lastRead = useRef<Record<string, number>>({});

  // An unfinished vote from before (paused, interrupted): its job, read once, says whether it can go on. A job's
  // own updates are newer than that list, so they win.
  const unfinished = votes.filter((v) => v.jobId && v.done.length < v.samples && !updated[v.jobId]).map((v) => v.jobId).join();
  const earlier = useQuery('jobs.list', unfinished ? {} : null, { key: unfinished });
  const jobs = useMemo(() => {
    const ours = (earlier.data ?? []).filter((j) => votes.some((v) => v.jobId === j.id));
    return { ...Object.fromEntries(ours.map((j) => [j.id, j])), ...updated };
  }, [earlier.data, votes, updated]);

  const reread = useCallback(
    async (voteId: string) => {
      lastRead.current[voteId] = Date.now();
      try {
        const fresh = await api.call('votes.get', { voteId });
        setVotes((list) => list.map((v) => (v.id === voteId ? fresh : v)));
      } catch (reason) {
        setError(errorMessage(reason));
      }
    },
    [api, setVotes],
  );

  useEffect(() => {
    const jobIds = new Map(votes.filter((v) => v.jobId).map((v) => [v.jobId!, v.id]));
    if (jobIds.size === 0) return;
    return api.on('job.update', (job) => {
      const voteId = jobIds.get(job.id);
      if (!voteId) return;
      setJobs((all) => ({ ...all, [job.id]: job }));
      const settled = job.state !== 'running' && job.state !== 'queued';
      if (settled || Date.now() - (lastRead.current[voteId] ?? 0) >= REFRESH_MS) void reread(voteId);
    });
  }, [api, votes, reread]);

  const start = useCallback(
    async (samples: number, settings?: GenerationSettings, modelId?: string) => {
      setError(null);
      try {
        const vote = await api.call('votes.start', { messageId, samples, settings, modelId });
        setVotes((list) => [...list, vote]);
      } catch (reason) {
        setError(errorMessage(reason));
      }
    },
    [api, messageId, setVotes],
  );

  const control = useCallback(
    async (method: 'jobs.cancel' | 'jobs.pause' | 'jobs.resume', jobId: string) => {
      setError(null);
      try {
        const job = await api.call(method, { jobId });
        setJobs((all) => ({ ...all, [job.id]: job }));
      } catch (reason) {
        setError(errorMessage(reason));
      }
    },
    [api],
  );
  const cancel = useCallback((jobId: string) => control('jobs.cancel', jobId), [control]);
  const pause = useCallback((jobId: string) => control('jobs.pause', jobId), [control]);
  const resume = useCallback((jobId: string) => control('jobs.resume', jobId), [control]);

  return { votes, jobs, error: error ?? listed.error ?? earlier.error, start, cancel, pause, resume };
}

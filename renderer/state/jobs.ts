import type { Job } from '../../electron/contract/api';

export const ACTIVE_STATES: ReadonlySet<Job['state']> = new Set(['queued', 'running']);

export function isActive(job: Job): boolean {
  return ACTIVE_STATES.has(job.state);
}

/** Puts a job update into the list: a stale update (older updatedAt) never overwrites a newer one. Newest first. */
export function upsertJob(jobs: readonly Job[], update: Job): Job[] {
  const existing = jobs.find((job) => job.id === update.id);
  if (existing && existing.updatedAt > update.updatedAt) return jobs as Job[];
  const rest = jobs.filter((job) => job.id !== update.id);
  return sortJobs([...rest, update]);
}

/** A fresh list from the server replaces ours, but keeps updates we got by event that are newer than it. */
export function mergeJobLists(current: readonly Job[], fresh: readonly Job[]): Job[] {
  return fresh.reduce<Job[]>((list, job) => upsertJob(list, job), current.filter((job) => fresh.some((f) => f.id === job.id)));
}

export function sortJobs(jobs: Job[]): Job[] {
  return jobs.sort((a, b) => b.createdAt - a.createdAt || a.id.localeCompare(b.id));
}

/** Seconds left: the engine's estimate when it sent one, else extrapolated from the progress so far. */
export function estimateEta(job: Job, now: number): number | undefined {
  if (!isActive(job)) return undefined;
  if (job.etaSeconds !== undefined) return job.etaSeconds;
  if (job.progress <= 0 || job.progress >= 1) return undefined;
  const elapsedSeconds = (Math.max(now, job.updatedAt) - job.createdAt) / 1000;
  return (elapsedSeconds * (1 - job.progress)) / job.progress;
}

export const JOB_STATE_LABELS: Record<Job['state'], string> = {
  queued: 'Queued',
  running: 'Running',
  paused: 'Paused',
  succeeded: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
  interrupted: 'Interrupted',
};

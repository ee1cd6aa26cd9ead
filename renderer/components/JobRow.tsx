import type { ReactNode } from 'react';
import type { Job } from '../../electron/contract/api';
import { formatDuration, formatPercent } from '../state/format';
import { estimateEta, isActive, JOB_STATE_LABELS } from '../state/jobs';
import { Button } from './Button';
import { PauseIcon, PlayIcon, StopIcon } from './Icons';
import { ProgressBar } from './ProgressBar';

export interface JobActions {
  cancel(jobId: string): void;
  pause(jobId: string): void;
  resume(jobId: string): void;
}

const TONES: Partial<Record<Job['state'], 'error' | 'muted'>> = { failed: 'error', interrupted: 'error', cancelled: 'muted', paused: 'muted' };

/**
 * One job as every screen shows it: title, state, progress bar with time left, and the actions its state allows
 * (Pause and Resume only where the job says it can). `extra` holds a screen's own action (e.g. Dismiss).
 */
export function JobRow({ job, now, actions, testId = 'job-row', extra }: { job: Job; now: number; actions: JobActions; testId?: string; extra?: ReactNode }) {
  const eta = estimateEta(job, now);
  const failed = job.state === 'failed';
  return (
    <li className="job" data-testid={testId} data-state={job.state}>
      <div className="job-head">
        <span className="job-title">{job.title}</span>
        <span className={`badge badge-${job.state}`}>{JOB_STATE_LABELS[job.state]}</span>
        {job.pausable && (
          <Button variant="ghost" icon={<PauseIcon />} onClick={() => actions.pause(job.id)}>
            Pause
          </Button>
        )}
        {job.resumable && (
          <Button variant="ghost" icon={<PlayIcon />} onClick={() => actions.resume(job.id)}>
            Resume
          </Button>
        )}
        {(isActive(job) || job.resumable) && (
          <Button variant="ghost" icon={<StopIcon />} onClick={() => actions.cancel(job.id)}>
            Cancel
          </Button>
        )}
        {!isActive(job) && extra}
      </div>
      <ProgressBar value={job.progress} label={`${job.title} progress`} tone={TONES[job.state] ?? 'accent'} />
      <div className="job-meta">
        <span className="job-percent">{formatPercent(job.progress)}</span>
        {eta !== undefined && <span className="job-eta">about {formatDuration(eta)} left</span>}
        {job.message && (
          <span className={failed ? 'job-error' : 'job-message'} role={failed ? 'alert' : undefined} data-testid="job-message">
            {job.message}
          </span>
        )}
      </div>
    </li>
  );
}

import type { Job } from '../../../electron/contract/api';
import { Button } from '../../components/Button';
import { Card } from '../../components/Card';
import { PlayIcon, StopIcon } from '../../components/Icons';
import { ProgressBar } from '../../components/ProgressBar';
import { formatDuration, formatPercent } from '../../state/format';
import { estimateEta, isActive, JOB_STATE_LABELS } from '../../state/jobs';
import { useJobs } from '../../state/useJobs';
import { useNow } from '../../state/useNow';

/** 100 steps of 100 ms: long enough to watch and cancel, short enough not to bore. */
const TEST_JOB = { steps: 100, stepMs: 100 };


function JobRow({ job, now, onCancel }: { job: Job; now: number; onCancel(): void }) {
  const active = isActive(job);
  const eta = estimateEta(job, now);
  const tone = job.state === 'failed' || job.state === 'interrupted' ? 'error' : active || job.state === 'succeeded' ? 'accent' : 'muted';
  return (
    <li className="job" data-testid="job-row" data-state={job.state}>
      <div className="job-head">
        <span className="job-title">{job.title}</span>
        <span className={`badge badge-${job.state}`}>{JOB_STATE_LABELS[job.state]}</span>
        {active && (
          <Button variant="ghost" icon={<StopIcon />} onClick={onCancel}>
            Cancel
          </Button>
        )}
      </div>
      <ProgressBar value={job.progress} label={`${job.title} progress`} tone={tone} />
      <div className="job-meta">
        <span className="job-percent">{formatPercent(job.progress)}</span>
        {eta !== undefined && <span className="job-eta">about {formatDuration(eta)} left</span>}
        {job.message && <span className="job-message">{job.message}</span>}
      </div>
    </li>
  );
}

export function DiagnosticsCard() {
  const { jobs, error, startDummy, cancel } = useJobs();
  const now = useNow(jobs.some(isActive));
  return (
    <Card
      title="Diagnostics"
      description="Run a test job in the engine to check progress reporting and cancellation end to end."
      testId="diagnostics"
      actions={
        <Button variant="primary" icon={<PlayIcon />} onClick={() => void startDummy(TEST_JOB.steps, TEST_JOB.stepMs)}>
          Run test job
        </Button>
      }
    >
      {error && <p className="inline-error">{error}</p>}
      {jobs.length === 0 ? (
        <p className="muted">No jobs yet. Conversions, training runs and test jobs appear here.</p>
      ) : (
        <ul className="job-list" aria-label="Jobs">
          {jobs.map((job) => (
            <JobRow key={job.id} job={job} now={now} onCancel={() => void cancel(job.id)} />
          ))}
        </ul>
      )}
    </Card>
  );
}

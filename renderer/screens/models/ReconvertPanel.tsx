import type { Job } from '../../../electron/contract/api';
import type { SpeedUpgrade } from '../../../electron/contract/convert';
import { Button } from '../../components/Button';
import { CloseIcon, PlayIcon } from '../../components/Icons';
import { JobRow, type JobActions } from '../../components/JobRow';
import { isActive } from '../../state/jobs';
import { useNow } from '../../state/useNow';
import './convert.css';

/**
 * A model row's "Re-convert for speed" (or "for WebGPU", where the model runs there and its graph's cache is fed
 * from host memory): the offer with why (folders that predate the fused graph), the job with its
 * progress while it runs and its outcome until dismissed, or why it is not possible (the checkpoint is gone or changed).
 */
export function ReconvertPanel({
  modelName,
  upgrade,
  job,
  starting,
  error,
  onStart,
  onDismiss,
  actions,
}: {
  modelName: string;
  upgrade?: SpeedUpgrade;
  job?: Job;
  starting: boolean;
  error?: string;
  onStart(): void;
  onDismiss(): void;
  actions: JobActions;
}) {
  const now = useNow(job !== undefined && isActive(job));
  if (job) {
    return (
      <ul className="job-list model-row-reconvert" aria-label={`Re-conversion of ${modelName}`}>
        <JobRow
          job={job}
          now={now}
          actions={actions}
          testId="reconvert-job"
          extra={<Button variant="ghost" icon={<CloseIcon />} onClick={onDismiss} aria-label={`Dismiss ${job.title}`} />}
        />
      </ul>
    );
  }
  if (!upgrade) return null;
  if (upgrade.state === 'unavailable') {
    return (
      <div className="model-picker-note model-row-reconvert" data-testid="reconvert-unavailable">
        Re-convert for speed is not possible: {upgrade.message}
      </div>
    );
  }
  if (upgrade.state !== 'available') return null; // running: the job appears once the jobs list has it
  return (
    <div className="model-row-reconvert" data-testid="reconvert-offer">
      <span className="muted">{upgrade.why}</span>
      <Button variant="secondary" icon={<PlayIcon />} onClick={onStart} disabled={starting}>
        {starting ? 'Starting…' : upgrade.portable ? 'Re-convert for WebGPU' : 'Re-convert for speed'}
      </Button>
      {error && (
        <div className="inline-error" role="alert" data-testid="reconvert-error">
          {error}
        </div>
      )}
    </div>
  );
}

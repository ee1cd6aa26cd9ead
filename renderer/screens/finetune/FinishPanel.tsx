import { useState } from 'react';
import type { Job } from '../../../electron/contract/api';
import type { RunDetail } from '../../../electron/contract/finetune';
import { Button } from '../../components/Button';
import { ProgressBar } from '../../components/ProgressBar';
import { formatLoss } from '../../state/finetune';
import { formatPercent } from '../../state/format';

function percent(value: number | undefined): string {
  return value === undefined ? '—' : formatPercent(value);
}

/** A completed run: evaluation before vs after, the adapter, merge (q4/fp16), and Compare with the base. */
export function FinishPanel({ detail, mergeJob, onMerge, onCompare }: {
  detail: RunDetail;
  mergeJob: Job | null;
  onMerge(dtype: 'q4' | 'fp16'): void;
  onCompare(): void;
}) {
  const [dtype, setDtype] = useState<'q4' | 'fp16'>('q4');
  const e = detail.evaluation;
  const merging = mergeJob?.state === 'running' || mergeJob?.state === 'queued';
  return (
    <section className="ft-finish" data-testid="finish-panel" aria-label="Result">
      <h3 className="subheading">Evaluation on the validation split</h3>
      {e ? (
        <table className="ft-eval" data-testid="evaluation">
          <thead>
            <tr>
              <th />
              <th>before</th>
              <th>after</th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <th>validation loss</th>
              <td data-testid="loss-before">{formatLoss(e.lossBefore)}</td>
              <td data-testid="loss-after">{formatLoss(e.lossAfter)}</td>
            </tr>
            <tr>
              <th>accuracy ({e.boxedQuestions} of {e.questions} questions with a \boxed answer)</th>
              <td>{percent(e.accuracyBefore)}</td>
              <td>{percent(e.accuracyAfter)}</td>
            </tr>
          </tbody>
        </table>
      ) : (
        <p className="muted">{detail.phase ?? 'No evaluation was recorded for this run.'}</p>
      )}
      {detail.adapterPath && (
        <p className="muted">
          PEFT adapter: <code data-testid="adapter-path">{detail.adapterPath}</code>
        </p>
      )}
      <div className="card-actions">
        <select className="select" aria-label="Merged precision" value={dtype} onChange={(ev) => setDtype(ev.target.value as 'q4' | 'fp16')}>
          <option value="q4">q4 (CPU)</option>
          <option value="fp16">fp16 (GPU)</option>
        </select>
        <Button variant="secondary" onClick={() => onMerge(dtype)} disabled={merging || !detail.adapterPath}>
          {detail.mergedModelId ? 'Merge again' : 'Merge into a model'}
        </Button>
        <Button variant="primary" onClick={onCompare} disabled={!detail.mergedModelId}>
          Open in Compare
        </Button>
      </div>
      {mergeJob && (
        <div data-testid="merge-job" data-state={mergeJob.state}>
          <ProgressBar value={mergeJob.progress} label="Merge progress" tone={mergeJob.state === 'failed' ? 'error' : 'accent'} />
          <span className={mergeJob.state === 'failed' ? 'inline-error' : 'muted'}>{mergeJob.message}</span>
        </div>
      )}
    </section>
  );
}

import type { RunSummary } from '../../../electron/contract/finetune';
import { Card } from '../../components/Card';
import { formatLoss, RUN_STATE_LABELS } from '../../state/finetune';

/** Every run kept in the history, newest first; click one to reopen it. */
export function RunHistory({ runs, selected, onSelect }: { runs: RunSummary[]; selected: string | null; onSelect(id: string): void }) {
  if (!runs.length) return null;
  return (
    <Card title="Runs" testId="run-history">
      <ul className="ft-history">
        {runs.map((run) => (
          <li key={run.id}>
            <button type="button" className={`ft-history-item${run.id === selected ? ' ft-history-selected' : ''}`} onClick={() => onSelect(run.id)} data-testid="run-history-item">
              <span className="ft-history-name">{run.name}</span>
              <span className="muted">{run.baseName}</span>
              <span className={`badge badge-${run.state === 'completed' ? 'succeeded' : run.state}`}>{RUN_STATE_LABELS[run.state]}</span>
              <span className="muted">
                step {run.step}/{run.totalSteps} · loss {formatLoss(run.lastLoss)}
              </span>
            </button>
          </li>
        ))}
      </ul>
    </Card>
  );
}

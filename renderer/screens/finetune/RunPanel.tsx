import { useMemo } from 'react';
import type { RunDetail } from '../../../electron/contract/finetune';
import { Button } from '../../components/Button';
import { Card } from '../../components/Card';
import { PlayIcon, StopIcon } from '../../components/Icons';
import { LineChart } from '../../components/LineChart';
import { ProgressBar } from '../../components/ProgressBar';
import { formatLoss, lossSeries, lrSeries, RUN_STATE_LABELS, runActions, runProgress } from '../../state/finetune';
import { formatDuration, formatPercent } from '../../state/format';

const LOSS_SERIES = [
  { label: 'training loss', color: '#6c5ce7' },
  { label: 'validation loss', color: '#e17055', points: true },
];
const LR_SERIES = [{ label: 'learning rate', color: '#00b894' }];

function Samples({ detail }: { detail: RunDetail }) {
  if (!detail.samples.length) return null;
  const latest = [...detail.samples].reverse().slice(0, 5);
  return (
    <details className="ft-samples" data-testid="samples" open>
      <summary>Sample answers on “{latest[0].question}”</summary>
      {latest.map((s) => (
        <article key={s.step} className="ft-sample" data-testid="sample">
          <h4>Step {s.step}</h4>
          <p className="ft-sample-thinking">{s.reasoning || '(no thinking)'}</p>
          <p className="ft-sample-answer">{s.answer || '(no answer yet: the thought did not close)'}</p>
        </article>
      ))}
    </details>
  );
}

/** A run live or reopened: progress with ETA and tokens/s, loss and learning-rate charts, samples, and its controls. */
export function RunPanel({ detail, acting, error, onPause, onCancel, onResume, children }: {
  detail: RunDetail;
  acting: boolean;
  error: string | null;
  onPause(): void;
  onCancel(): void;
  onResume(): void;
  children?: React.ReactNode;
}) {
  const progress = runProgress(detail);
  const actions = runActions(detail.state);
  const loss = useMemo(() => lossSeries(detail), [detail]);
  const lr = useMemo(() => lrSeries(detail), [detail]);
  return (
    <Card
      title={`Run: ${detail.name}`}
      testId="run-panel"
      description={`${detail.baseName} · rank ${detail.config.hyper.rank} · ${detail.config.hyper.precision} · ${detail.records ? `${detail.records.train} training / ${detail.records.validation} validation records` : ''}`}
      actions={
        <>
          {actions.pause && (
            <Button variant="secondary" onClick={onPause} disabled={acting} aria-keyshortcuts="Control+Shift+P" title="Ctrl/Cmd+Shift+P">
              Pause
            </Button>
          )}
          {actions.resume && (
            <Button variant="primary" icon={<PlayIcon />} onClick={onResume} disabled={acting} aria-keyshortcuts="Control+Shift+P" title="Ctrl/Cmd+Shift+P">
              Resume
            </Button>
          )}
          {actions.cancel && (
            <Button variant="danger" icon={<StopIcon />} onClick={onCancel} disabled={acting}>
              Cancel
            </Button>
          )}
        </>
      }
    >
      <div className="ft-run-head">
        <span className={`badge badge-${detail.state === 'completed' ? 'succeeded' : detail.state}`} data-testid="run-state">
          {RUN_STATE_LABELS[detail.state]}
        </span>
        <span data-testid="run-step">
          step {detail.step}/{detail.totalSteps}
        </span>
        <span data-testid="run-loss">loss {formatLoss(detail.lastLoss)}</span>
        <span data-testid="tokens-per-second">{progress.tokensPerSecond !== undefined ? `${Math.round(progress.tokensPerSecond)} tokens/s` : '— tokens/s'}</span>
        {detail.state === 'running' && progress.etaSeconds !== undefined && <span>about {formatDuration(progress.etaSeconds)} left</span>}
        {detail.phase && <span className="muted">{detail.phase}</span>}
      </div>
      <ProgressBar value={progress.fraction} label="Training progress" tone={detail.state === 'failed' || detail.state === 'interrupted' ? 'error' : 'accent'} />
      <span className="muted">{formatPercent(progress.fraction)}</span>
      {detail.message && detail.state !== 'running' && (
        <p className={detail.state === 'failed' ? 'inline-error' : 'muted'} data-testid="run-message">
          {detail.message}
        </p>
      )}
      {error && <p className="inline-error" role="alert">{error}</p>}
      <div className="ft-charts">
        <LineChart data={loss} series={LOSS_SERIES} label="Loss chart" testId="loss-chart" />
        <LineChart data={lr} series={LR_SERIES} label="Learning-rate chart" testId="lr-chart" height={140} />
      </div>
      <Samples detail={detail} />
      {children}
    </Card>
  );
}

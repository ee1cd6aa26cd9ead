import { useConnection } from '../state/ApiContext';
import { useEngine } from '../state/EngineContext';
import { describeStatus } from '../state/engineStatus';
import { Button } from './Button';
import { RefreshIcon } from './Icons';

/** Link + engine state at the foot of the sidebar; offers a restart when the engine gave up. */
export function StatusIndicator() {
  const connection = useConnection();
  const engine = useEngine();
  const view = describeStatus(connection, engine.status, engine.crash !== null);
  const showRestart = view.canRestart && (view.tone === 'error' || view.tone === 'idle');
  return (
    <div className={`status status-${view.tone}`} data-testid="engine-status" data-state={engine.status?.state ?? 'unknown'}>
      <div className="status-row" role="status" aria-live="polite">
        <span className="status-dot" aria-hidden="true" />
        <span className="status-label">{view.label}</span>
      </div>
      {view.detail && <div className="status-detail" title={view.detail}>{view.detail}</div>}
      {showRestart && (
        <Button variant="secondary" className="status-restart" icon={<RefreshIcon />} onClick={() => void engine.restart()} disabled={engine.restarting}>
          {engine.restarting ? 'Restarting…' : 'Restart engine'}
        </Button>
      )}
      {engine.restartError && <div className="status-detail status-error-text">{engine.restartError}</div>}
    </div>
  );
}

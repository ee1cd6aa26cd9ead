import { useEngine } from '../state/EngineContext';
import { Button } from './Button';
import { AlertIcon, CloseIcon, RefreshIcon } from './Icons';

/** Stays up after a crash until dismissed, even when the engine came back quicker than the eye. */
export function CrashBanner() {
  const engine = useEngine();
  if (!engine.crash) return null;
  const state = engine.status?.state;
  const back = state === 'ready';
  return (
    <div className="banner banner-error" role="alert" data-testid="crash-banner">
      <AlertIcon className="banner-icon" />
      <div className="banner-text">
        <strong>Engine crashed{back ? ' and was restarted' : state === 'crashed' ? '' : ' — restarting…'}</strong>
        <span>
          {engine.crash.message}
          {back ? ' Anything it was running has stopped; start it again.' : ''}
        </span>
      </div>
      {state === 'crashed' && (
        <Button variant="primary" icon={<RefreshIcon />} onClick={() => void engine.restart()} disabled={engine.restarting}>
          Restart
        </Button>
      )}
      <button type="button" className="icon-button" aria-label="Dismiss" onClick={engine.dismissCrash}>
        <CloseIcon />
      </button>
    </div>
  );
}

import { useState, type ReactNode } from 'react';
import type { ModelInfo } from '../../../electron/contract/inference';
import { Button } from '../../components/Button';
import { CloseIcon, PlayIcon, StopIcon, TrashIcon } from '../../components/Icons';
import { formatMs } from '../../state/chatMessages';
import { formatBytes } from '../../state/format';
import { modelRowNotes, modelSummary, runningLabel } from '../../state/models';
import { graphLabel } from '../../state/reconvert';
import type { ModelAction } from '../../state/useModels';
import { APPLIES_AT_NEXT_LOAD, derivedLabel } from '../../state/providerSettings';
import { useModelProvider } from '../../state/useProviderSettings';
import { ProviderSelect } from '../../components/ProviderSelect';

const ACTION_LABELS: Record<ModelAction, string> = { loading: 'Loading…', unloading: 'Unloading…', removing: 'Removing…' };

export function ModelRow({
  model,
  busy,
  error,
  onLoad,
  onUnload,
  onRemove,
  onRemoveWithFiles,
  usageBytes,
  onDismissError,
  reconvert,
}: {
  model: ModelInfo;
  busy?: ModelAction;
  error?: string;
  onLoad(): void;
  onUnload(): void;
  onRemove(): void;
  /** Also deletes the files Distillery wrote for it (its converted folder, the checkpoint it downloaded). */
  onRemoveWithFiles?(): void;
  /** Disk used by the model and the checkpoint it came from. */
  usageBytes?: number;
  onDismissError(): void;
  /** "Re-convert for speed" (offer, job or why not), for folders that predate the fused graph. */
  reconvert?: ReactNode;
}) {
  const [confirming, setConfirming] = useState(false);
  const running = runningLabel(model.loaded);
  const provider = useModelProvider(model);
  const fineTuned = derivedLabel(model);
  const graph = graphLabel(model.convertedWith);
  return (
    <li className="model-row" data-testid="model-row" data-model-id={model.id}>
      <div className="model-row-head">
        <span className="model-row-name">{model.name}</span>
        {busy ? (
          <span className="badge badge-running">{ACTION_LABELS[busy]}</span>
        ) : running ? (
          <span className="badge badge-ok" title="Execution provider · dtype actually running" data-testid="model-running">
            {running}
          </span>
        ) : (
          <span className="badge">Not loaded</span>
        )}
        <div className="model-row-actions">
          {confirming ? (
            <>
              <span className="muted">Forget this model? The folder stays on disk.</span>
              <Button variant="danger" onClick={() => (setConfirming(false), onRemove())}>
                Remove
              </Button>
              {onRemoveWithFiles && (
                <Button variant="danger" onClick={() => (setConfirming(false), onRemoveWithFiles())}>
                  Remove and delete its files
                </Button>
              )}
              <Button variant="ghost" onClick={() => setConfirming(false)}>
                Cancel
              </Button>
            </>
          ) : (
            <>
              {model.loaded ? (
                <Button variant="secondary" icon={<StopIcon />} onClick={onUnload} disabled={busy !== undefined}>
                  Unload
                </Button>
              ) : (
                <Button variant="secondary" icon={<PlayIcon />} onClick={onLoad} disabled={busy !== undefined}>
                  Load
                </Button>
              )}
              <Button variant="ghost" icon={<TrashIcon />} onClick={() => setConfirming(true)} disabled={busy !== undefined} aria-label={`Remove ${model.name}`}>
                Remove
              </Button>
            </>
          )}
        </div>
      </div>
      <div className="model-row-meta">
        {modelSummary(model)}
        {fineTuned ? <span data-testid="model-derived"> · {fineTuned}</span> : ` · ${model.source}`}
        {graph && <span data-testid="model-graph"> · {graph}</span>}
        {usageBytes !== undefined && <span data-testid="model-usage"> · {formatBytes(usageBytes)} on disk</span>}
        {model.loaded ? ` · context ${model.loaded.contextLength} · ~${formatBytes(model.loaded.estimatedBytes)} · loaded in ${formatMs(model.loaded.loadMs)}` : ''}
      </div>
      <div className="model-row-path">{model.path}</div>
      <div className="model-row-provider" title={APPLIES_AT_NEXT_LOAD}>
        <span className="muted">Provider{model.loaded ? ' (applies at the next load)' : ''}:</span>
        <ProviderSelect setting={provider} label={`Execution provider for ${model.name}`} testId="model-provider" />
      </div>
      {reconvert}
      {modelRowNotes(model).map((note) => (
        <div key={note} className="model-picker-note">
          {note}
        </div>
      ))}
      {error && (
        <div className="model-picker-error model-row-error" role="alert" data-testid="model-error">
          <span>{error}</span>
          <button type="button" className="icon-button" aria-label="Dismiss error" onClick={onDismissError}>
            <CloseIcon width={14} height={14} />
          </button>
        </div>
      )}
    </li>
  );
}

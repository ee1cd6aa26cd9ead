import type { ModelInfo } from '../../../electron/contract/inference';
import { runningLabel, skippedProviderNotes } from '../../state/models';
import type { ModelAction } from '../../state/useModels';
import './model-picker.css';

/**
 * Picks a model and shows what runs it: provider and dtype once loaded, "Loading…" while it loads, the back end's
 * words when loading failed, why a better provider was not used, and (folded) what would make its graph faster here.
 */
export function ModelPicker({
  models,
  value,
  onChange,
  busy,
  error,
  label = 'Model',
  disabled,
}: {
  models: ModelInfo[];
  value: string | undefined;
  onChange(modelId: string): void;
  busy?: ModelAction;
  error?: string;
  label?: string;
  disabled?: boolean;
}) {
  const model = models.find((m) => m.id === value);
  const running = runningLabel(model?.loaded);
  // the advice (a slow graph for where it runs, and what to do) folds away: Chat's header is narrow
  const notes = skippedProviderNotes(model?.loaded);
  const advice = model?.loaded?.advice;
  return (
    <div className="model-picker">
      <label className="model-picker-row">
        <span className="model-picker-label">{label}</span>
        <select className="select" value={value ?? ''} onChange={(event) => onChange(event.target.value)} disabled={disabled || models.length === 0} aria-label={label}>
          {models.length === 0 && <option value="">No models yet</option>}
          {models.map((m) => (
            <option key={m.id} value={m.id}>
              {m.name}
            </option>
          ))}
        </select>
        {busy === 'loading' ? (
          <span className="badge badge-running" data-testid="model-state">
            Loading…
          </span>
        ) : running ? (
          <span className="badge badge-ok" data-testid="model-state" title="Execution provider · dtype actually running">
            {running}
          </span>
        ) : model ? (
          <span className="badge" data-testid="model-state">
            Not loaded
          </span>
        ) : null}
      </label>
      {error && (
        <div className="model-picker-error" role="alert" data-testid="model-error">
          {error}
        </div>
      )}
      {notes.map((note) => (
        <div key={note} className="model-picker-note" data-testid="model-fallback">
          {note}
        </div>
      ))}
      {advice && (
        <details className="model-picker-note model-picker-advice" data-testid="model-advice">
          <summary>Slow graph here: how to fix</summary>
          <p>{advice}</p>
        </details>
      )}
    </div>
  );
}

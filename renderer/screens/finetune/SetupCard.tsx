import type { BaseModel } from '../../../electron/contract/finetune';
import { Button } from '../../components/Button';
import { Card } from '../../components/Card';
import { PathPicker } from '../../components/PathPicker';
import type { RunForm } from '../../state/finetune';

/** Base model and trace folder; "Check" reads the folder and shows the import report. */
export function SetupCard({ form, models, modelsError, update, onCheck, checking, mapError }: {
  form: RunForm;
  models: BaseModel[];
  modelsError: string | null;
  update(patch: Partial<RunForm>): void;
  onCheck(): void;
  checking: boolean;
  mapError?: string;
}) {
  const picked = models.find((m) => m.modelId === form.modelId);
  return (
    <Card title="Base model and traces" testId="finetune-setup" description="Training reads the base's Hugging Face checkpoint and a folder of R1 reasoning traces (any mix of formats).">
      <div className="ft-grid">
        <label className="field">
          <span className="ft-label">Base model</span>
          <select className="select" aria-label="Base model" value={form.modelId} onChange={(e) => update({ modelId: e.target.value })}>
            <option value="">Choose a model…</option>
            {models.map((m) => (
              <option key={m.modelId} value={m.modelId}>
                {m.name}
                {m.usable ? '' : ' (no checkpoint)'}
              </option>
            ))}
          </select>
        </label>
        <label className="field ft-wide">
          <span className="ft-label">Trace folder</span>
          <span className="form-row">
            <input
              className="input"
              aria-label="Trace folder"
              placeholder="/path/to/traces"
              value={form.folder}
              spellCheck={false}
              onChange={(e) => update({ folder: e.target.value })}
              onKeyDown={(e) => e.key === 'Enter' && onCheck()}
            />
            <PathPicker kind="folder" title="Trace folder" current={form.folder} onPick={(folder) => update({ folder })} />
          </span>
        </label>
        <label className="field">
          <span className="ft-label">Field mapping (optional)</span>
          <input className="input" aria-label="Field mapping" placeholder="question=prompt,reasoning=reason,answer=gen_ans" value={form.map} spellCheck={false} onChange={(e) => update({ map: e.target.value })} />
        </label>
        <div className="ft-check">
          <Button variant="secondary" onClick={onCheck} disabled={checking || !form.folder.trim()}>
            {checking ? 'Checking…' : 'Check traces'}
          </Button>
        </div>
      </div>
      {mapError && <p className="inline-error">{mapError}</p>}
      {modelsError && <p className="inline-error">{modelsError}</p>}
      {picked && !picked.usable && (
        <p className="inline-error" data-testid="base-model-reason">
          {picked.reason}
        </p>
      )}
      {picked?.usable && <p className="muted ft-note">Checkpoint: <code>{picked.checkpoint}</code></p>}
      {!models.length && !modelsError && <p className="muted ft-note">No models yet: convert a checkpoint on the Models screen first.</p>}
    </Card>
  );
}

import { BASE_PRECISIONS, LORA_TARGETS, PRESET_NAMES, type Estimate } from '../../../electron/contract/finetune';
import { Button } from '../../components/Button';
import { Card } from '../../components/Card';
import type { RunForm } from '../../state/finetune';

type Errors = Partial<Record<keyof RunForm, string>>;

const NUMBER_FIELDS: { key: keyof RunForm; label: string }[] = [
  { key: 'rank', label: 'Rank' },
  { key: 'alpha', label: 'Alpha' },
  { key: 'lr', label: 'Learning rate' },
  { key: 'epochs', label: 'Epochs' },
  { key: 'maxLength', label: 'Max length' },
  { key: 'batch', label: 'Batch' },
  { key: 'accumulation', label: 'Accumulation' },
  { key: 'valFraction', label: 'Validation share' },
  { key: 'seed', label: 'Split seed' },
];

const CAP_FIELDS: { key: keyof RunForm; label: string }[] = [
  { key: 'evalQuestions', label: 'Evaluation questions' },
  { key: 'maxNewTokens', label: 'Max new tokens' },
  { key: 'sampleEvery', label: 'Sample every N steps' },
];

const PRESET_LABELS = { quick: 'Quick', standard: 'Standard', thorough: 'Thorough' } as const;

function NumberField({ form, field, errors, update }: { form: RunForm; field: { key: keyof RunForm; label: string }; errors: Errors; update(p: Partial<RunForm>): void }) {
  const error = errors[field.key];
  return (
    <label className="field">
      <span className="ft-label">{field.label}</span>
      <input className="input" aria-label={field.label} aria-invalid={!!error} value={form[field.key] as string} onChange={(e) => update({ [field.key]: e.target.value })} />
      {error && <span className="ft-field-error">{error}</span>}
    </label>
  );
}

/** Presets and every training setting, the measured estimate, and Start (Ctrl/Cmd+Enter). */
export function HyperForm({ form, errors, update, estimate, estimating, estimateError, onEstimate, onStart, starting, startError }: {
  form: RunForm;
  errors: Errors;
  update(patch: Partial<RunForm>): void;
  estimate: Estimate | null;
  estimating: boolean;
  estimateError: string | null;
  onEstimate(): void;
  onStart(): void;
  starting: boolean;
  startError: string | null;
}) {
  const toggleTarget = (target: string) =>
    update({ targets: form.targets.includes(target) ? form.targets.filter((t) => t !== target) : [...form.targets, target] });
  return (
    <Card title="Training settings" testId="hyper-form" description="A preset fills every field; change any of them.">
      <div className="segmented" role="radiogroup" aria-label="Preset">
        {PRESET_NAMES.map((name) => (
          <button key={name} type="button" role="radio" aria-checked={form.preset === name} className="segment" onClick={() => update({ preset: name })}>
            {PRESET_LABELS[name]}
          </button>
        ))}
        {form.preset === 'custom' && <span className="muted ft-custom">custom</span>}
      </div>
      <div className="ft-grid ft-grid-fields">
        {NUMBER_FIELDS.map((field) => (
          <NumberField key={field.key} form={form} field={field} errors={errors} update={update} />
        ))}
        <label className="field">
          <span className="ft-label">Base precision</span>
          <select className="select" aria-label="Base precision" value={form.precision} onChange={(e) => update({ precision: e.target.value as RunForm['precision'] })}>
            {BASE_PRECISIONS.map((p) => (
              <option key={p} value={p}>
                {p === 'q4' ? 'q4 (QLoRA)' : p}
              </option>
            ))}
          </select>
        </label>
      </div>
      <fieldset className="ft-targets">
        <legend className="ft-label">Adapted modules</legend>
        {LORA_TARGETS.map((t) => (
          <label key={t} className="ft-target">
            <input type="checkbox" checked={form.targets.includes(t)} onChange={() => toggleTarget(t)} /> {t}
          </label>
        ))}
        {errors.targets && <span className="ft-field-error">{errors.targets}</span>}
      </fieldset>
      <details className="ft-caps">
        <summary>Samples and evaluation (capped: generating thoughts on a CPU is slow)</summary>
        <div className="ft-grid ft-grid-fields">
          {CAP_FIELDS.map((field) => (
            <NumberField key={field.key} form={form} field={field} errors={errors} update={update} />
          ))}
        </div>
      </details>
      <div className="card-actions ft-start">
        <Button variant="secondary" onClick={onEstimate} disabled={estimating}>
          {estimating ? 'Measuring a step…' : 'Estimate'}
        </Button>
        <Button variant="primary" onClick={onStart} disabled={starting || estimate?.fits === false} aria-keyshortcuts="Control+Enter" title="Ctrl/Cmd+Enter">
          {starting ? 'Starting…' : 'Start training'}
        </Button>
      </div>
      {estimate && (
        <p className={estimate.fits ? 'muted' : 'inline-error'} data-testid="estimate" role={estimate.fits ? undefined : 'alert'}>
          {estimate.message}
        </p>
      )}
      {estimateError && <p className="inline-error">{estimateError}</p>}
      {startError && <p className="inline-error" role="alert">{startError}</p>}
    </Card>
  );
}

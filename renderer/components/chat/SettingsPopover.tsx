import { useCallback, useRef, useState } from 'react';
import { DEFAULT_FORM, describeSettings, parseSettings, type SettingsForm } from '../../state/chatSettings';
import { useDismiss } from './hooks';
import './popover.css';

const FIELDS: { key: keyof SettingsForm; label: string; hint: string; placeholder: string; step?: string }[] = [
  { key: 'temperature', label: 'Temperature', hint: 'R1 works best at 0.5–0.7. 0 is greedy.', placeholder: '0.6', step: '0.05' },
  { key: 'topP', label: 'Top-p', hint: 'Nucleus sampling; DeepSeek recommends 0.95.', placeholder: '0.95', step: '0.01' },
  { key: 'maxNewTokens', label: 'Max new tokens', hint: 'Thinking plus answer. Empty: the engine default (up to 32,768).', placeholder: 'default' },
  { key: 'thinkingBudget', label: 'Thinking budget', hint: 'After this many thinking tokens the model must answer. Empty: no limit.', placeholder: 'no limit' },
  { key: 'seed', label: 'Seed', hint: 'Same seed, same prompt, same reply. Empty: random.', placeholder: 'random' },
];

/** The generation settings button and its popover. Invalid fields say why; the last valid values still apply. */
export function SettingsPopover({ form, onChange }: { form: SettingsForm; onChange(form: SettingsForm): void }) {
  const [open, setOpen] = useState(false);
  const panel = useRef<HTMLDivElement>(null);
  const close = useCallback(() => setOpen(false), []);
  useDismiss(panel, open, close);
  const parsed = parseSettings(form);
  const errors = parsed.ok ? {} : parsed.errors;
  return (
    <div className="popover-anchor" ref={panel}>
      <button
        type="button"
        className={`settings-button${parsed.ok ? '' : ' settings-button-invalid'}`}
        aria-expanded={open}
        aria-haspopup="dialog"
        onClick={() => setOpen(!open)}
        title="Generation settings"
      >
        <span className="settings-button-label">Settings</span>
        <span className="settings-button-summary">{describeSettings(form)}</span>
      </button>
      {open && (
        <div className="popover" role="dialog" aria-label="Generation settings">
          <div className="popover-head">
            <strong>Generation</strong>
            <button type="button" className="link-button" onClick={() => onChange({ ...DEFAULT_FORM })}>
              Reset to R1 defaults
            </button>
          </div>
          {FIELDS.map((field) => (
            <label key={field.key} className="field">
              <span className="field-label">{field.label}</span>
              <input
                className={`input${errors[field.key] ? ' input-invalid' : ''}`}
                inputMode="decimal"
                value={form[field.key]}
                placeholder={field.placeholder}
                aria-invalid={errors[field.key] ? true : undefined}
                onChange={(event) => onChange({ ...form, [field.key]: event.target.value })}
              />
              <span className={errors[field.key] ? 'field-error' : 'field-hint'}>{errors[field.key] ?? field.hint}</span>
            </label>
          ))}
        </div>
      )}
    </div>
  );
}

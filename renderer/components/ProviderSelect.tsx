import { asProviderChoice } from '../state/providerSettings';
import type { ProviderSetting } from '../state/useProviderSettings';
import { FixText } from './FixText';
import './chat/model-picker.css';
import './provider-select.css';

/** A provider select with its availability notes; shared by Settings (default) and the Models screen (per model). */
export function ProviderSelect({ setting, label, testId }: { setting: ProviderSetting; label: string; testId?: string }) {
  const current = setting.options.find((o) => o.value === setting.choice);
  return (
    <div className="provider-select" data-testid={testId}>
      <select
        className="select"
        aria-label={label}
        value={setting.choice}
        disabled={!setting.ready || setting.saving}
        onChange={(event) => void setting.setChoice(asProviderChoice(event.target.value))}
      >
        {setting.options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
      {setting.warning ? (
        <p className="model-picker-note" role="status">
          {setting.warning}
        </p>
      ) : (
        current?.detail && <FixText className="muted provider-detail" text={current.detail} />
      )}
      {setting.error && (
        <p className="inline-error" role="alert">
          Could not save the provider: {setting.error}
        </p>
      )}
    </div>
  );
}

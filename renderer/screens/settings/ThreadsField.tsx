import { useThreadsSetting } from '../../state/useThreadsSetting';

const CHOICES = [0, 1, 2, 4, 6, 8, 12, 16, 24, 32];

/** CPU threads per model run: Automatic (one per physical core) or a fixed count. */
export function ThreadsField() {
  const setting = useThreadsSetting();
  const choices = CHOICES.includes(setting.threads) ? CHOICES : [...CHOICES, setting.threads].sort((a, b) => a - b);
  return (
    <div className="field" data-testid="threads-setting">
      <span className="subheading">CPU threads</span>
      <select
        className="select"
        aria-label="CPU threads"
        value={setting.threads}
        disabled={!setting.ready || setting.saving}
        onChange={(event) => void setting.save(Number(event.target.value))}
      >
        {choices.map((n) => (
          <option key={n} value={n}>
            {n === 0 ? 'Automatic (one per physical core)' : `${n}`}
          </option>
        ))}
      </select>
      {setting.error && (
        <p className="inline-error" role="alert">
          Could not save the thread count: {setting.error}
        </p>
      )}
    </div>
  );
}

import { useState, type FormEvent } from 'react';
import type { HubSettings } from '../../../electron/contract/downloads';
import { errorMessage } from '../../api';
import { Button } from '../../components/Button';
import { Card } from '../../components/Card';
import { useApi } from '../../state/ApiContext';
import { useQuery } from '../../state/useQuery';

const TOKEN_SOURCES: Record<HubSettings['token'], string> = {
  none: 'No token: public repositories only.',
  env: 'From the HF_TOKEN environment variable.',
  keychain: 'Kept in the OS keychain.',
};

/** Offline mode (no network for the app or the engine) and the Hugging Face hub: endpoint, cache, token. */
export function NetworkCard() {
  const api = useApi();
  const query = useQuery('downloads.settings');
  const [settings, setSettings] = useState<HubSettings | null>(null);
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const current = settings ?? query.data;

  const act = async (run: () => Promise<HubSettings>) => {
    setError(null);
    try {
      setSettings(await run());
    } catch (reason) {
      setError(errorMessage(reason));
    }
  };
  const saveToken = (event: FormEvent) => {
    event.preventDefault();
    void act(() => api.call('downloads.setToken', { token: token.trim() || null })).then(() => setToken(''));
  };

  return (
    <Card title="Network" description="Offline mode blocks every connection of the app and the engine except this machine's own (loopback)." testId="network-card">
      {(error ?? query.error) && <p className="inline-error" role="alert">{error ?? query.error}</p>}
      {current && (
        <>
          <label className="convert-check">
            <input type="checkbox" aria-label="Offline mode" checked={current.offline} onChange={(e) => void act(() => api.call('downloads.setOffline', { offline: e.target.checked }))} />
            Offline mode: no network at all; the catalog shows only the models on this machine.
          </label>
          <dl className="info-grid">
            <div className="info-row">
              <dt>Hub</dt>
              <dd className="mono selectable">{current.hubUrl}</dd>
            </div>
            <div className="info-row">
              <dt>Download cache</dt>
              <dd className="mono selectable">{current.hubCacheDir}</dd>
            </div>
            <div className="info-row">
              <dt>Hugging Face token</dt>
              <dd data-testid="token-source">{TOKEN_SOURCES[current.token]}</dd>
            </div>
          </dl>
          {current.canStoreToken ? (
            <form onSubmit={saveToken} className="form-row">
              <input className="input" type="password" aria-label="Hugging Face token" placeholder="hf_… (for gated repositories)" value={token} onChange={(e) => setToken(e.target.value)} autoComplete="off" />
              <Button type="submit" variant="secondary">{token.trim() ? 'Save token' : 'Forget token'}</Button>
            </form>
          ) : (
            <p className="muted">For gated repositories, start headless mode with <code>HF_TOKEN=hf_…</code> in its environment.</p>
          )}
        </>
      )}
    </Card>
  );
}

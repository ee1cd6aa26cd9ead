import { useCallback, useEffect, useState } from 'react';
import { errorMessage } from '../api';
import { useApi } from './ApiContext';
import { useQuery } from './useQuery';

/** CPU threads per model run (settings.get / settings.setThreads); 0 = automatic (one per physical core). */
export function useThreadsSetting() {
  const api = useApi();
  const stored = useQuery('settings.get');
  const [threads, setLocal] = useState(0);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (stored.data) setLocal(stored.data.inference.threads);
  }, [stored.data]);
  const save = useCallback(
    async (next: number) => {
      setSaving(true);
      setError(null);
      try {
        setLocal((await api.call('settings.setThreads', { threads: next })).inference.threads);
      } catch (reason) {
        setError(errorMessage(reason));
      } finally {
        setSaving(false);
      }
    },
    [api],
  );
  return { threads, saving, error: error ?? stored.error, ready: stored.data !== null, save };
}

import { useCallback, useEffect, useState } from 'react';
import type { ApiMethod, ApiOutput } from '../../electron/contract/api';
import { errorMessage } from '../api';
import { useApi, useConnection } from './ApiContext';

export interface QueryState<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
  refresh(): void;
}

/**
 * One no-input API call, re-run when the link comes back and whenever `key` changes
 * (e.g. the engine pid: a restarted engine has new info).
 */
export function useQuery<M extends ApiMethod>(method: M, key: unknown = null): QueryState<ApiOutput<M>> {
  const api = useApi();
  const connection = useConnection();
  const [data, setData] = useState<ApiOutput<M> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    if (connection !== 'connected') return;
    let alive = true;
    setLoading(true);
    api.call(method, {} as never).then(
      (result) => {
        if (!alive) return;
        setData(result);
        setError(null);
        setLoading(false);
      },
      (reason: unknown) => {
        if (!alive) return;
        setError(errorMessage(reason));
        setLoading(false);
      },
    );
    return () => {
      alive = false;
    };
  }, [api, method, connection, key, generation]);

  const refresh = useCallback(() => setGeneration((n) => n + 1), []);
  return { data, error, loading, refresh };
}

import { useCallback, useEffect, useState, type Dispatch, type SetStateAction } from 'react';
import type { ApiInput, ApiMethod, ApiOutput } from '../../electron/contract/api';
import { errorMessage } from '../api';
import { useApi, useConnection } from './ApiContext';

export interface QueryState<T> {
  /** The last answer (kept while a new one is read, so the screen does not flash empty). */
  data: T | null;
  error: string | null;
  loading: boolean;
  /** Reads again with the same input. */
  refresh(): void;
  /** Puts a locally known answer in place (after an add or a remove) without reading again. */
  setData: Dispatch<SetStateAction<T | null>>;
}

export interface QueryOptions {
  /** Also read again whenever this changes (e.g. the engine pid: a restarted engine has new info). */
  key?: unknown;
}

/** The input of a method that takes none. */
const NO_INPUT = {};

/**
 * One API read, run when the link is up and again whenever its input (compared by value), `key` or the link
 * changes; `null` as input reads nothing. An answer to an input that is no longer current is dropped.
 */
export function useQuery<M extends ApiMethod>(
  method: M,
  input: ApiInput<M> | null = NO_INPUT as ApiInput<M>,
  { key = null }: QueryOptions = {},
): QueryState<ApiOutput<M>> {
  const api = useApi();
  const connection = useConnection();
  const [data, setData] = useState<ApiOutput<M> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(input !== null);
  const [generation, setGeneration] = useState(0);
  const inputKey = input === null ? null : JSON.stringify(input);

  useEffect(() => {
    if (inputKey === null) {
      setLoading(false);
      return;
    }
    if (connection !== 'connected') return;
    const current = JSON.parse(inputKey) as ApiInput<M>;
    let alive = true;
    setLoading(true);
    api.call(method, current).then(
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
  }, [api, method, connection, inputKey, key, generation]);

  const refresh = useCallback(() => setGeneration((n) => n + 1), []);
  return { data, error, loading, refresh, setData };
}

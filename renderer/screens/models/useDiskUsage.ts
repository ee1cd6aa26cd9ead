import { useCallback, useEffect, useState } from 'react';
import { errorMessage } from '../../api';
import { useApi, useConnection } from '../../state/ApiContext';

export interface DiskUsageState {
  byModel: Record<string, number>;
  totalBytes?: number;
  error: string | null;
  refresh(): void;
  /** Removes the model and the files Distillery wrote for it (never another tool's). */
  removeWithFiles(modelId: string): Promise<void>;
}

/** Disk used per model (its folder and the checkpoint it came from) and in all; re-read when `key` changes. */
export function useDiskUsage(key: string): DiskUsageState {
  const api = useApi();
  const connection = useConnection();
  const [byModel, setByModel] = useState<Record<string, number>>({});
  const [totalBytes, setTotal] = useState<number>();
  const [error, setError] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    if (connection !== 'connected') return;
    let alive = true;
    api.call('downloads.usage', {}).then(
      (usage) => {
        if (!alive) return;
        setByModel(Object.fromEntries(usage.models.map((m) => [m.modelId, m.totalBytes])));
        setTotal(usage.totalBytes);
      },
      (reason: unknown) => alive && setError(errorMessage(reason)),
    );
    return () => {
      alive = false;
    };
  }, [api, connection, key, generation]);

  const refresh = useCallback(() => setGeneration((n) => n + 1), []);
  const removeWithFiles = useCallback(
    async (modelId: string) => {
      try {
        await api.call('downloads.removeModel', { modelId, withFiles: true });
      } catch (reason) {
        setError(errorMessage(reason));
      }
    },
    [api],
  );
  return { byModel, totalBytes, error, refresh, removeWithFiles };
}

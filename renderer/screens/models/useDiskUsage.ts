import { useCallback, useMemo, useState } from 'react';
import { errorMessage } from '../../api';
import { useApi } from '../../state/ApiContext';
import { useQuery } from '../../state/useQuery';

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
  const usage = useQuery('downloads.usage', {}, { key });
  const [removeError, setRemoveError] = useState<string | null>(null);
  const byModel = useMemo(() => Object.fromEntries((usage.data?.models ?? []).map((m) => [m.modelId, m.totalBytes])), [usage.data]);

  const removeWithFiles = useCallback(
    async (modelId: string) => {
      try {
        await api.call('downloads.removeModel', { modelId, withFiles: true });
      } catch (reason) {
        setRemoveError(errorMessage(reason));
      }
    },
    [api],
  );
  return { byModel, totalBytes: usage.data?.totalBytes, error: removeError ?? usage.error, refresh: usage.refresh, removeWithFiles };
}

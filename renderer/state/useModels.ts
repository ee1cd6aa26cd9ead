import { useCallback, useState } from 'react';
import type { LoadedModel, ModelInfo } from '../../electron/contract/inference';
import { errorMessage } from '../api';
import { useApi } from './ApiContext';
import { useEngine } from './EngineContext';
import { withLoaded, withUnloaded } from './models';
import { useQuery } from './useQuery';

/** The list before the first answer (one object, so hooks that depend on it do not re-run each render). */
const NONE: ModelInfo[] = [];

export type ModelAction = 'loading' | 'unloading' | 'removing';

export interface ModelsState {
  models: ModelInfo[];
  loading: boolean;
  /** Why the list could not be read. */
  listError: string | null;
  /** Per model: what is being done to it now, and the last error as the back end worded it. */
  busy: Record<string, ModelAction>;
  errors: Record<string, string>;
  refresh(): void;
  add(path: string, name?: string): Promise<ModelInfo>;
  remove(modelId: string): Promise<void>;
  load(modelId: string): Promise<LoadedModel | undefined>;
  unload(modelId: string): Promise<void>;
  clearError(modelId: string): void;
}

/** The model registry as the screens see it. Re-read when the link or the engine comes back (a new engine has nothing loaded). */
export function useModels(): ModelsState {
  const api = useApi();
  const engine = useEngine();
  const list = useQuery('models.list', {}, { key: engine.status?.pid });
  const { setData } = list;
  const models = list.data ?? NONE;
  const setModels = useCallback((update: (models: ModelInfo[]) => ModelInfo[]) => setData((old) => update(old ?? [])), [setData]);
  const [busy, setBusy] = useState<Record<string, ModelAction>>({});
  const [errors, setErrors] = useState<Record<string, string>>({});

  const track = useCallback(async <T,>(modelId: string, action: ModelAction, run: () => Promise<T>): Promise<T | undefined> => {
    setBusy((b) => ({ ...b, [modelId]: action }));
    setErrors(({ [modelId]: _gone, ...rest }) => rest);
    try {
      return await run();
    } catch (reason) {
      setErrors((e) => ({ ...e, [modelId]: errorMessage(reason) }));
      return undefined;
    } finally {
      setBusy(({ [modelId]: _done, ...rest }) => rest);
    }
  }, []);

  const add = useCallback(
    async (path: string, name?: string) => {
      const added = await api.call('models.add', name ? { path, name } : { path });
      setModels((list) => [...list.filter((m) => m.id !== added.id), added]);
      return added;
    },
    [api, setModels],
  );

  const remove = useCallback(
    async (modelId: string) => {
      await track(modelId, 'removing', async () => {
        await api.call('models.remove', { modelId });
        setModels((list) => list.filter((m) => m.id !== modelId));
      });
    },
    [api, setModels, track],
  );

  const load = useCallback(
    (modelId: string) =>
      track(modelId, 'loading', async () => {
        const loaded = await api.call('models.load', { modelId });
        setModels((list) => withLoaded(list, loaded));
        return loaded;
      }),
    [api, setModels, track],
  );

  const unload = useCallback(
    async (modelId: string) => {
      await track(modelId, 'unloading', async () => {
        await api.call('models.unload', { modelId });
        setModels((list) => withUnloaded(list, modelId));
      });
    },
    [api, setModels, track],
  );

  const clearError = useCallback((modelId: string) => setErrors(({ [modelId]: _gone, ...rest }) => rest), []);

  return { models, loading: list.loading && list.data === null, listError: list.error, busy, errors, refresh: list.refresh, add, remove, load, unload, clearError };
}

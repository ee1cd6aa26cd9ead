import { useCallback, useEffect, useState } from 'react';
import type { EngineInfo } from '../../electron/contract/api';
import type { ModelInfo } from '../../electron/contract/inference';
import { errorMessage } from '../api';
import { useApi } from './ApiContext';
import { useEngine } from './EngineContext';
import { choiceWarning, modelChoice, providerOptions, type ProviderChoice, type ProviderOption } from './providerSettings';
import { useQuery } from './useQuery';

export interface ProviderSetting {
  choice: ProviderChoice;
  options: ProviderOption[];
  /** The fix text when the chosen provider cannot run here. */
  warning?: string;
  saving: boolean;
  error: string | null;
  /** Whether the stored value has been read (the select is disabled until then). */
  ready: boolean;
  setChoice(choice: ProviderChoice): Promise<void>;
}

/** engine.info of the running engine (re-read when a restarted engine has a new pid). */
function useEngineInfo(): EngineInfo | null {
  const engine = useEngine();
  return useQuery('engine.info', {}, { key: engine.status?.state === 'ready' ? engine.status.pid : null }).data;
}

/** Saves a choice and reports progress and errors the same way for both selects. */
function useSave(save: (choice: ProviderChoice) => Promise<void>) {
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(
    async (choice: ProviderChoice) => {
      setSaving(true);
      setError(null);
      try {
        await save(choice);
      } catch (reason) {
        setError(errorMessage(reason));
      } finally {
        setSaving(false);
      }
    },
    [save],
  );
  return { saving, error, run };
}

/** The Settings default provider (settings.get / settings.setProvider). */
export function useDefaultProvider(): ProviderSetting {
  const api = useApi();
  const info = useEngineInfo();
  const stored = useQuery('settings.get');
  const [choice, setLocal] = useState<ProviderChoice>('auto');
  useEffect(() => {
    if (stored.data) setLocal(stored.data.inference.provider);
  }, [stored.data]);
  const save = useCallback(
    async (next: ProviderChoice) => {
      const result = await api.call('settings.setProvider', { provider: next });
      setLocal(result.settings.inference.provider);
    },
    [api],
  );
  const { saving, error, run } = useSave(save);
  return {
    choice,
    options: providerOptions(info, 'default'),
    warning: choiceWarning(choice, info),
    saving,
    error: error ?? stored.error,
    ready: stored.data !== null,
    setChoice: run,
  };
}

/** One model's override (Models screen row); 'auto' clears it so the Settings default applies. */
export function useModelProvider(model: ModelInfo): ProviderSetting {
  const api = useApi();
  const info = useEngineInfo();
  const defaults = useQuery('settings.get');
  const [choice, setLocal] = useState<ProviderChoice>(modelChoice(model));
  // keyed on the override, not the object: a load result replaces the object without re-reading the override
  const stored = modelChoice(model);
  useEffect(() => setLocal(stored), [model.id, stored]);
  const save = useCallback(
    async (next: ProviderChoice) => {
      const result = await api.call('settings.setProvider', { provider: next, modelId: model.id });
      setLocal(result.model ? modelChoice(result.model) : next);
    },
    [api, model.id],
  );
  const { saving, error, run } = useSave(save);
  return {
    choice,
    options: providerOptions(info, 'model', defaults.data?.inference.provider ?? 'auto'),
    warning: choiceWarning(choice, info),
    saving,
    error,
    ready: true,
    setChoice: run,
  };
}

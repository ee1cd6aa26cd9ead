/**
 * settings.* methods: the execution provider for every model (Settings screen) and per model (Models screen).
 * Both are store settings read by models.load, so a change applies at the next load. 'auto' is stored as no key:
 * the default policy, not a choice that would outlive it.
 */
import { ProviderChoice } from '../contract/inference';
import type { AppSettings, SetProviderInput, SetProviderResult } from '../contract/settings';
import type { ServiceContext, ServiceModule } from './context';
import { modelProviderSetting, PROVIDER_SETTING, registryFor } from './models';

/** The Settings default; a stored value that is no longer a provider name reads as 'auto'. */
export function readSettings(ctx: ServiceContext): AppSettings {
  const parsed = ProviderChoice.safeParse(ctx.store.settings.get(PROVIDER_SETTING));
  return { inference: { provider: parsed.success ? parsed.data : 'auto' } };
}

export function setProvider(ctx: ServiceContext, { provider, modelId }: SetProviderInput): SetProviderResult {
  const registry = registryFor(ctx);
  if (modelId === undefined) {
    if (provider === 'auto') ctx.store.settings.remove(PROVIDER_SETTING);
    else ctx.store.settings.set(PROVIDER_SETTING, provider);
    return { settings: readSettings(ctx) };
  }
  const record = registry.record(modelId); // not_found for an unknown model
  if (provider === 'auto') ctx.store.settings.remove(modelProviderSetting(modelId));
  else ctx.store.settings.set(modelProviderSetting(modelId), provider);
  return { settings: readSettings(ctx), model: registry.toInfo(record) };
}

export const settingsService: ServiceModule = (ctx) => ({
  handlers: {
    'settings.get': async () => readSettings(ctx),
    'settings.setProvider': async (input) => setProvider(ctx, input),
  },
});

/**
 * settings.* methods: the execution provider for every model (Settings screen) and per model (Models screen).
 * Both are store settings read by models.load, so a change applies at the next load. 'auto' is stored as no key:
 * the default policy, not a choice that would outlive it.
 */
import { ProviderChoice } from '../contract/inference';
import type { AppSettings, SetProviderInput, SetProviderResult, SetThreadsInput } from '../contract/settings';
import type { ServiceContext, ServiceModule } from './context';
import { modelProviderSetting, PROVIDER_SETTING, registryFor, THREADS_SETTING } from './models';

/** The Settings default; a stored value that is no longer a provider name reads as 'auto'. */
export function readSettings(ctx: ServiceContext): AppSettings {
  const parsed = ProviderChoice.safeParse(ctx.store.settings.get(PROVIDER_SETTING));
  const threads = ctx.store.settings.get<number>(THREADS_SETTING);
  return { inference: { provider: parsed.success ? parsed.data : 'auto', threads: Number.isInteger(threads) && threads! > 0 ? threads! : 0 } };
}

export function setThreads(ctx: ServiceContext, { threads }: SetThreadsInput): AppSettings {
  if (threads === 0) ctx.store.settings.remove(THREADS_SETTING);
  else ctx.store.settings.set(THREADS_SETTING, threads);
  return readSettings(ctx);
}

export async function setProvider(ctx: ServiceContext, { provider, modelId }: SetProviderInput): Promise<SetProviderResult> {
  const registry = registryFor(ctx);
  if (modelId === undefined) {
    if (provider === 'auto') ctx.store.settings.remove(PROVIDER_SETTING);
    else ctx.store.settings.set(PROVIDER_SETTING, provider);
    return { settings: readSettings(ctx) };
  }
  const record = registry.record(modelId); // not_found for an unknown model
  if (provider === 'auto') ctx.store.settings.remove(modelProviderSetting(modelId));
  else ctx.store.settings.set(modelProviderSetting(modelId), provider);
  await registry.knowProviders(); // the row's re-convert offer depends on whether that provider starts here
  return { settings: readSettings(ctx), model: registry.toInfo(record) };
}

export const settingsService: ServiceModule = (ctx) => ({
  handlers: {
    'settings.get': async () => readSettings(ctx),
    'settings.setProvider': async (input) => setProvider(ctx, input),
    'settings.setThreads': async (input) => setThreads(ctx, input),
  },
});

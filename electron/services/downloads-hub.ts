/**
 * How the services reach the hub: the endpoint (HF_ENDPOINT, for mirrors), the token (the OS keychain in the desktop
 * app, which registers a store here from electron/main; HF_TOKEN otherwise), the cache folder, and Offline mode
 * (a setting: it blocks every non-loopback connection of the services process and of the engine).
 */
import type { HubSettings } from '../contract/downloads';
import { hubCacheDir } from '../downloads/hub-cache';
import { checkToken, hubOptionsFromEnv, type HubOptions } from '../downloads/hub-client';
import { setNetworkBlocked } from '../downloads/net-guard';
import type { ServiceContext } from './context';
import { ApiError } from './errors';

export const OFFLINE_SETTING = 'network.offline';

/** The OS keychain, as the desktop app's main process offers it (Electron safeStorage). */
export interface HubTokenStore {
  get(): string | undefined;
  set(token: string | null): void;
}

const tokenStores = new WeakMap<ServiceContext, HubTokenStore>();

/** Called by electron/main after it created the services. */
export function setHubTokenStore(ctx: ServiceContext, store: HubTokenStore): void {
  tokenStores.set(ctx, store);
}

export function isOffline(ctx: ServiceContext): boolean {
  return ctx.store.settings.get<boolean>(OFFLINE_SETTING) === true;
}

export function hubOptionsFor(ctx: ServiceContext, env: NodeJS.ProcessEnv = process.env): HubOptions {
  const options = hubOptionsFromEnv(env);
  const stored = tokenStores.get(ctx)?.get();
  if (stored) options.accessToken = stored;
  options.offline = isOffline(ctx);
  return options;
}

export function cacheDirFor(env: NodeJS.ProcessEnv = process.env): string {
  return hubCacheDir(env);
}

export function hubSettings(ctx: ServiceContext, env: NodeJS.ProcessEnv = process.env): HubSettings {
  const store = tokenStores.get(ctx);
  const token = store?.get() ? 'keychain' : env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN ? 'env' : 'none';
  return { offline: isOffline(ctx), hubUrl: hubOptionsFromEnv(env).hubUrl, hubCacheDir: cacheDirFor(env), token, canStoreToken: store !== undefined };
}

export function setHubToken(ctx: ServiceContext, token: string | null): HubSettings {
  const store = tokenStores.get(ctx);
  if (!store) {
    throw new ApiError('bad_request', 'Headless mode keeps no token: start it with HF_TOKEN=hf_… in the environment (npx distillery serve).');
  }
  if (token) {
    try {
      checkToken(token);
    } catch (error) {
      throw new ApiError('bad_request', (error as Error).message);
    }
  }
  store.set(token || null);
  return hubSettings(ctx);
}

/** Applies Offline mode here and in the engine (now if it is ready, and each time it becomes ready). */
export function applyOffline(ctx: ServiceContext): void {
  const offline = isOffline(ctx);
  setNetworkBlocked(offline || Boolean(process.env.DISTILLERY_NET_GUARD_LOG));
  if (ctx.engine.status().state === 'ready') {
    ctx.engine.request('network.setOffline', { offline }).catch((error: Error) => ctx.log('warn', `could not set Offline mode in the engine: ${error.message}`));
  }
}

export function setOffline(ctx: ServiceContext, offline: boolean): HubSettings {
  if (offline) ctx.store.settings.set(OFFLINE_SETTING, true);
  else ctx.store.settings.remove(OFFLINE_SETTING);
  applyOffline(ctx);
  return hubSettings(ctx);
}

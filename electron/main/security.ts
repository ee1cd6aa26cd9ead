/**
 * The desktop window's security rules, kept free of Electron imports so they are unit-tested in plain Node.
 */
import path from 'node:path';

export { CONTENT_SECURITY_POLICY } from '../contract/csp';

/**
 * The renderer is served from app://distillery/ rather than file://: a file:// page's origin is every file on the
 * disk (any local file could be fetched or framed, and 'self' in the CSP means all of them); app:// serves only the
 * built renderer folder.
 */
export const APP_SCHEME = 'app';
export const APP_HOST = 'distillery';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/** Permissions the page may use. The app asks for none (no camera, microphone, notifications, geolocation, …). */
export const ALLOWED_PERMISSIONS: readonly string[] = [];

export function isPermissionAllowed(permission: string): boolean {
  return ALLOWED_PERMISSIONS.includes(permission);
}

/** Hosts the app may open in the user's browser: model hubs, source and documentation. Subdomains included. */
export const EXTERNAL_HOSTS = [
  'huggingface.co',
  'github.com',
  'onnxruntime.ai',
  'electronjs.org',
  'nodejs.org',
  'developer.nvidia.com',
  'docs.nvidia.com',
  'learn.microsoft.com',
  'pytorch.org',
] as const;

function parseUrl(raw: string): URL | null {
  try {
    return new URL(raw);
  } catch {
    return null;
  }
}

/** https only, no credentials in the URL, host on the allow-list (or a subdomain of one). */
export function isAllowedExternalUrl(raw: string): boolean {
  const url = parseUrl(raw);
  if (!url || url.protocol !== 'https:' || url.username || url.password) return false;
  if (url.port && url.port !== '443') return false;
  const host = url.hostname.toLowerCase();
  return EXTERNAL_HOSTS.some((allowed) => host === allowed || host.endsWith(`.${allowed}`));
}

export interface AppLocation {
  /** The built renderer's index.html (production), served as app://distillery/index.html. */
  rendererFile: string;
  /** The electron-vite dev server (`ELECTRON_RENDERER_URL`), when running `npm run dev`. */
  devServerUrl?: string;
}

/** Is this URL the app's own page? Only such a frame may call the API, and only such a URL may be navigated to. */
export function isAppUrl(raw: string, app: AppLocation): boolean {
  const url = parseUrl(raw);
  if (!url) return false;
  if (app.devServerUrl) {
    const dev = parseUrl(app.devServerUrl);
    if (dev && url.origin === dev.origin && (url.protocol === 'http:' || url.protocol === 'https:')) return true;
  }
  return url.protocol === `${APP_SCHEME}:` && url.host === APP_HOST && (url.pathname === '/' || url.pathname === '/index.html');
}

/**
 * The file an app:// request may read: inside the renderer folder only (no `..`, no encoded separators, no NUL);
 * paths without an extension are the single page's routes and get index.html. Undefined: answer 404.
 */
export function rendererFileFor(rawUrl: string, rendererDir: string): string | undefined {
  const url = parseUrl(rawUrl);
  if (!url || url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return undefined;
  let decoded: string;
  try {
    decoded = decodeURIComponent(url.pathname);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const root = path.resolve(rendererDir);
  const file = path.resolve(root, '.' + path.posix.normalize('/' + decoded));
  if (file !== root && !file.startsWith(root + path.sep)) return undefined;
  if (file === root || path.extname(file) === '') return path.join(root, 'index.html');
  return file;
}

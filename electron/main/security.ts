/**
 * The desktop window's security rules, kept free of Electron imports so they are unit-tested in plain Node.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Same policy as the headless server's header. No remote code, no inline script, no plug-ins, no framing. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

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
  /** The built renderer's index.html (production). */
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
  if (url.protocol !== 'file:' || url.host !== '') return false;
  try {
    return path.resolve(fileURLToPath(url)) === path.resolve(app.rendererFile);
  } catch {
    return false;
  }
}

/** The headless server's access token: read from `?token=` once, kept for the tab, removed from the address bar. */
export const TOKEN_STORAGE_KEY = 'distillery.token';

/** The token in a URL, and the same URL without it (other parameters and the hash kept). */
export function splitTokenFromUrl(href: string): { token: string | null; cleanUrl: string } {
  const url = new URL(href);
  const token = url.searchParams.get('token');
  if (token === null) return { token: null, cleanUrl: href };
  url.searchParams.delete('token');
  return { token: token.trim() || null, cleanUrl: url.toString() };
}

export interface TokenEnvironment {
  location: { href: string };
  history: { replaceState(data: unknown, unused: string, url?: string): void; state: unknown };
  sessionStorage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;
}

/** A token from the URL wins over a stored one (the server may have restarted with a new token). */
export function takeToken(env: TokenEnvironment): string | null {
  const { token, cleanUrl } = splitTokenFromUrl(env.location.href);
  if (token) {
    env.sessionStorage.setItem(TOKEN_STORAGE_KEY, token);
  }
  if (cleanUrl !== env.location.href) env.history.replaceState(env.history.state, '', cleanUrl);
  return token ?? env.sessionStorage.getItem(TOKEN_STORAGE_KEY);
}

export function forgetToken(env: Pick<TokenEnvironment, 'sessionStorage'>): void {
  env.sessionStorage.removeItem(TOKEN_STORAGE_KEY);
}

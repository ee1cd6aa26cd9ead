import { describe, expect, it } from 'vitest';
import { splitTokenFromUrl, takeToken, TOKEN_STORAGE_KEY, type TokenEnvironment } from './token';

function fakeEnv(href: string, stored: string | null = null) {
  const storage = new Map<string, string>(stored ? [[TOKEN_STORAGE_KEY, stored]] : []);
  const replaced: string[] = [];
  const env: TokenEnvironment = {
    location: { href },
    history: { state: null, replaceState: (_data, _unused, url) => void replaced.push(String(url)) },
    sessionStorage: {
      getItem: (key) => storage.get(key) ?? null,
      setItem: (key, value) => void storage.set(key, value),
      removeItem: (key) => void storage.delete(key),
    },
  };
  return { env, storage, replaced };
}

describe('splitTokenFromUrl', () => {
  it('removes only the token, keeping other parameters and the hash', () => {
    expect(splitTokenFromUrl('http://127.0.0.1:4000/?a=1&token=abc_-9&b=2#/settings')).toEqual({
      token: 'abc_-9',
      cleanUrl: 'http://127.0.0.1:4000/?a=1&b=2#/settings',
    });
  });

  it('leaves a URL without a token untouched', () => {
    expect(splitTokenFromUrl('http://127.0.0.1:4000/#/chat')).toEqual({ token: null, cleanUrl: 'http://127.0.0.1:4000/#/chat' });
  });

  it('treats an empty token as none (and still cleans the URL)', () => {
    expect(splitTokenFromUrl('http://127.0.0.1:4000/?token=')).toEqual({ token: null, cleanUrl: 'http://127.0.0.1:4000/' });
  });
});

describe('takeToken', () => {
  it('stores the token from the URL and removes it from the address bar', () => {
    const { env, storage, replaced } = fakeEnv('http://127.0.0.1:4000/?token=secret#/models');
    expect(takeToken(env)).toBe('secret');
    expect(storage.get(TOKEN_STORAGE_KEY)).toBe('secret');
    expect(replaced).toEqual(['http://127.0.0.1:4000/#/models']);
  });

  it('falls back to the token kept for this tab after a reload', () => {
    const { env, replaced } = fakeEnv('http://127.0.0.1:4000/#/settings', 'kept');
    expect(takeToken(env)).toBe('kept');
    expect(replaced).toEqual([]);
  });

  it('prefers a new token in the URL over a stale stored one', () => {
    const { env, storage } = fakeEnv('http://127.0.0.1:4000/?token=fresh', 'stale');
    expect(takeToken(env)).toBe('fresh');
    expect(storage.get(TOKEN_STORAGE_KEY)).toBe('fresh');
  });

  it('returns null when there is no token anywhere', () => {
    expect(takeToken(fakeEnv('http://127.0.0.1:4000/').env)).toBeNull();
  });
});

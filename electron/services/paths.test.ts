import { describe, expect, it } from 'vitest';
import { dataPaths, defaultDataDir, resolveDataDir } from './paths';

describe('data dir', () => {
  it('follows each platform\'s user-data convention', () => {
    expect(defaultDataDir({}, 'linux', '/home/ada')).toBe('/home/ada/.config/Distillery');
    expect(defaultDataDir({ XDG_CONFIG_HOME: '/xdg' }, 'linux', '/home/ada')).toBe('/xdg/Distillery');
    expect(defaultDataDir({}, 'darwin', '/Users/ada')).toBe('/Users/ada/Library/Application Support/Distillery');
    expect(defaultDataDir({ APPDATA: 'C:\\Users\\ada\\AppData\\Roaming' }, 'win32', 'C:\\Users\\ada')).toBe(
      'C:\\Users\\ada\\AppData\\Roaming\\Distillery',
    );
  });

  it('lets DISTILLERY_HOME override it and lays out the sub-folders', () => {
    expect(resolveDataDir({ DISTILLERY_HOME: '/tmp/d-home' })).toBe('/tmp/d-home');
    expect(dataPaths('/tmp/d-home')).toEqual({
      root: '/tmp/d-home',
      models: '/tmp/d-home/models',
      db: '/tmp/d-home/distillery.db',
      logs: '/tmp/d-home/logs',
      runs: '/tmp/d-home/runs',
    });
  });
});

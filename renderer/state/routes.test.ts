import { describe, expect, it } from 'vitest';
import { hashForScreen, SCREENS, screenForShortcut, screenFromHash } from './routes';

const key = (k: string, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; altKey: boolean; shiftKey: boolean }> = {}) => ({
  key: k,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  shiftKey: false,
  ...mods,
});

describe('routes', () => {
  it('round-trips every screen through the hash', () => {
    for (const screen of SCREENS) expect(screenFromHash(hashForScreen(screen.id))).toBe(screen.id);
  });

  it('sends unknown or empty hashes to chat', () => {
    expect(screenFromHash('')).toBe('chat');
    expect(screenFromHash('#/nope')).toBe('chat');
    expect(screenFromHash('#/settings/extra?x=1')).toBe('settings');
  });

  it('maps Ctrl/Cmd+1..5 to the screens in sidebar order', () => {
    expect(screenForShortcut(key('1', { ctrlKey: true }))).toBe('chat');
    expect(screenForShortcut(key('4', { metaKey: true }))).toBe('finetune');
    expect(screenForShortcut(key('5', { ctrlKey: true }))).toBe('settings');
  });

  it('ignores other keys and modifier combinations', () => {
    expect(screenForShortcut(key('1'))).toBeNull();
    expect(screenForShortcut(key('6', { ctrlKey: true }))).toBeNull();
    expect(screenForShortcut(key('0', { ctrlKey: true }))).toBeNull();
    expect(screenForShortcut(key('1', { ctrlKey: true, shiftKey: true }))).toBeNull();
    expect(screenForShortcut(key('a', { ctrlKey: true }))).toBeNull();
  });
});

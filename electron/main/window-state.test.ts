import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { clampToDisplays, DEFAULT_WINDOW_STATE, loadWindowState, parseWindowState, saveWindowState, WINDOW_STATE_FILE } from './window-state';

const primary = { x: 0, y: 0, width: 1920, height: 1040 };
const right = { x: 1920, y: 0, width: 2560, height: 1400 };

describe('parseWindowState', () => {
  it('falls back to defaults for anything unreadable', () => {
    expect(parseWindowState(null)).toEqual(DEFAULT_WINDOW_STATE);
    expect(parseWindowState({ width: 'wide', height: -3, maximized: 'yes' })).toEqual(DEFAULT_WINDOW_STATE);
  });

  it('keeps a position only when both coordinates are numbers', () => {
    expect(parseWindowState({ x: 10, y: 20, width: 1000, height: 700, maximized: true })).toEqual({
      x: 10,
      y: 20,
      width: 1000,
      height: 700,
      maximized: true,
    });
    expect(parseWindowState({ x: 10, width: 1000, height: 700 })).toEqual({ width: 1000, height: 700, maximized: false });
  });
});

describe('clampToDisplays', () => {
  it('keeps a window that is on a display', () => {
    const state = { x: 2000, y: 100, width: 1200, height: 800, maximized: false };
    expect(clampToDisplays(state, [primary, right], primary)).toEqual(state);
  });

  it('recentres a window whose display is gone', () => {
    const state = { x: 2000, y: 100, width: 1200, height: 800, maximized: true };
    expect(clampToDisplays(state, [primary], primary)).toEqual({ width: 1200, height: 800, maximized: true });
  });

  it('shrinks a window larger than its display and pulls its title bar on screen', () => {
    const clamped = clampToDisplays({ x: -50, y: -30, width: 4000, height: 3000, maximized: false }, [primary], primary);
    expect(clamped).toEqual({ x: 0, y: 0, width: 1920, height: 1040, maximized: false });
  });
});

describe('load/save', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('round-trips through window-state.json and survives a corrupt file', () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'distillery-window-'));
    const state = { x: 5, y: 6, width: 1100, height: 720, maximized: false };
    saveWindowState(dir, state);
    expect(loadWindowState(dir)).toEqual(state);
    expect(JSON.parse(readFileSync(path.join(dir, WINDOW_STATE_FILE), 'utf8'))).toEqual(state);
    writeFileSync(path.join(dir, WINDOW_STATE_FILE), '{"width": 12');
    expect(loadWindowState(dir)).toEqual(DEFAULT_WINDOW_STATE);
  });
});

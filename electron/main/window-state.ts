/**
 * The window's size, place and maximized flag, saved in <dataDir>/window-state.json and restored at start-up,
 * pulled back onto a screen when the display it was on has gone. No Electron imports: unit-tested in Node.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface WindowState {
  x?: number;
  y?: number;
  width: number;
  height: number;
  maximized: boolean;
}

export const DEFAULT_WINDOW_STATE: WindowState = { width: 1280, height: 820, maximized: false };
export const MIN_WINDOW_SIZE = { width: 880, height: 560 };
/** How much of the window must show on some display for its saved position to be kept. */
const MIN_VISIBLE = 96;

export const WINDOW_STATE_FILE = 'window-state.json';

const isInt = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** Anything unreadable (hand-edited, truncated, older format) falls back to the default; it never throws. */
export function parseWindowState(raw: unknown): WindowState {
  if (!raw || typeof raw !== 'object') return { ...DEFAULT_WINDOW_STATE };
  const value = raw as Record<string, unknown>;
  const state: WindowState = {
    width: isInt(value.width) && value.width > 0 ? Math.round(value.width) : DEFAULT_WINDOW_STATE.width,
    height: isInt(value.height) && value.height > 0 ? Math.round(value.height) : DEFAULT_WINDOW_STATE.height,
    maximized: value.maximized === true,
  };
  if (isInt(value.x) && isInt(value.y)) {
    state.x = Math.round(value.x);
    state.y = Math.round(value.y);
  }
  return state;
}

function overlap(a: Rect, b: Rect): { width: number; height: number } {
  return {
    width: Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x),
    height: Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y),
  };
}

/**
 * Keeps the saved place if enough of the window shows on one of `workAreas`; otherwise drops x/y (Electron centres
 * the window). The size is capped to the work area the window lands on (the primary one when centred).
 */
export function clampToDisplays(state: WindowState, workAreas: Rect[], primary: Rect): WindowState {
  let area = primary;
  let { x, y } = state;
  if (x !== undefined && y !== undefined) {
    const rect = { x, y, width: state.width, height: state.height };
    const home = workAreas.find((candidate) => {
      const shared = overlap(rect, candidate);
      return shared.width >= MIN_VISIBLE && shared.height >= MIN_VISIBLE;
    });
    if (home) area = home;
    else x = y = undefined;
  }
  const width = Math.max(Math.min(state.width, area.width), Math.min(MIN_WINDOW_SIZE.width, area.width));
  const height = Math.max(Math.min(state.height, area.height), Math.min(MIN_WINDOW_SIZE.height, area.height));
  const clamped: WindowState = { width, height, maximized: state.maximized };
  if (x !== undefined && y !== undefined) {
    // Keep the title bar reachable: never above the work area's top or left of its left edge.
    clamped.x = Math.min(Math.max(x, area.x), area.x + area.width - MIN_VISIBLE);
    clamped.y = Math.min(Math.max(y, area.y), area.y + area.height - MIN_VISIBLE);
  }
  return clamped;
}

export function loadWindowState(dataDir: string): WindowState {
  try {
    return parseWindowState(JSON.parse(readFileSync(path.join(dataDir, WINDOW_STATE_FILE), 'utf8')));
  } catch {
    return { ...DEFAULT_WINDOW_STATE };
  }
}

/** Written to a temp file then renamed, so a crash mid-write cannot leave half a file. */
export function saveWindowState(dataDir: string, state: WindowState): void {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, WINDOW_STATE_FILE);
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(state, null, 2) + '\n');
  renameSync(temp, file);
}

/**
 * The desktop app through Playwright's _electron. Runs where the Electron binary is installed; elsewhere (CI with
 * ELECTRON_SKIP_BINARY_DOWNLOAD=1) every test here is skipped with the reason.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { _electron as electron, expect, test, type ElectronApplication, type Page } from '@playwright/test';
import { repoRoot } from '../support/server';

/**
 * The Electron binary's path, or null when it was never downloaded. Read from the electron package's path.txt rather
 * than require('electron'): since Electron 4x that require starts a download when the binary is missing.
 */
function electronBinary(): string | null {
  try {
    const packageDir = path.dirname(createRequire(path.join(repoRoot, 'package.json')).resolve('electron/package.json'));
    const pathFile = path.join(packageDir, 'path.txt');
    if (!existsSync(pathFile)) return null;
    const executable = readFileSync(pathFile, 'utf8').trim();
    const distDir = process.env.ELECTRON_OVERRIDE_DIST_PATH || path.join(packageDir, 'dist');
    const binary = path.join(distDir, executable);
    return existsSync(binary) ? binary : null;
  } catch {
    return null;
  }
}

const binary = electronBinary();
test.skip(
  binary === null,
  'Electron binary not installed (ELECTRON_SKIP_BINARY_DOWNLOAD): run `npm rebuild electron` to download it, ' +
    '`node scripts/rebuild-native-electron.mjs` to build better-sqlite3 for Electron, then `npm run build`.',
);

let app: ElectronApplication;
let window: Page;
let home: string;

test.beforeAll(async () => {
  home = mkdtempSync(path.join(os.tmpdir(), 'distillery-electron-'));
  app = await electron.launch({
    executablePath: binary!,
    args: [repoRoot, ...(process.platform === 'linux' ? ['--no-sandbox'] : [])],
    cwd: repoRoot,
    env: { ...process.env, DISTILLERY_HOME: home },
  });
  window = await app.firstWindow();
  await expect(window.getByRole('navigation', { name: 'Main' })).toBeVisible();
});

test.afterAll(async () => {
  await app?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

test('the window is locked down: only window.distillery {call, on}, no Node', async () => {
  expect(await window.evaluate('Object.keys(window.distillery).sort().join(",")')).toBe('call,on');
  expect(await window.evaluate('typeof require')).toBe('undefined');
  expect(await window.evaluate('typeof process')).toBe('undefined');
  const prefs = await app.evaluate(({ BrowserWindow }) => {
    const contents = BrowserWindow.getAllWindows()[0].webContents;
    return { url: contents.getURL(), windows: BrowserWindow.getAllWindows().length };
  });
  expect(prefs.url.startsWith('app://distillery/')).toBe(true); // not file://: the page's origin is not the whole disk
  expect(prefs.windows).toBe(1);
});

test('the page has the CSP header and no permissions; app:// serves only the renderer folder', async () => {
  const csp = await window.evaluate(async () => (await fetch('/index.html')).headers.get('Content-Security-Policy'));
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("style-src-attr 'unsafe-inline'");
  expect(await window.evaluate(() => { try { return String(eval('1')); } catch { return 'blocked'; } })).toBe('blocked');
  // Strings, not functions: this file is typechecked without the DOM library.
  expect(await window.evaluate("navigator.permissions.query({ name: 'notifications' }).then((s) => s.state)")).toBe('denied');
  expect(await window.evaluate("navigator.mediaDevices.getUserMedia({ audio: true }).then(() => 'granted', () => 'denied')")).toBe('denied');
  expect(await window.evaluate(async () => (await fetch('/../../package.json')).status)).toBe(404);
});

test('navigation works by click and by shortcut', async () => {
  await window.getByRole('link', { name: 'Models' }).click();
  await expect(window.getByRole('heading', { level: 1, name: 'Models' })).toBeVisible();
  await window.keyboard.press('Control+5');
  await expect(window.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible();
});

test('Settings shows the engine info from the utility process and the data folder', async () => {
  await window.keyboard.press('Control+5');
  await expect(window.getByTestId('engine-status')).toContainText('Engine ready', { timeout: 60_000 });
  await expect(window.getByTestId('engine-info')).toContainText('ONNX Runtime');
  await expect(window.getByTestId('providers')).toContainText('cpu');
  await expect(window.getByTestId('app-info')).toContainText(home);
  await expect(window.getByTestId('app-info')).toContainText('Desktop app');
});

test('window.open and navigation away are refused', async () => {
  await window.evaluate('window.open("https://example.com/")');
  await window.evaluate('location.href = "https://example.com/"').catch(() => undefined);
  await window.waitForTimeout(500);
  const state = await app.evaluate(({ BrowserWindow }) => ({
    windows: BrowserWindow.getAllWindows().length,
    url: BrowserWindow.getAllWindows()[0].webContents.getURL(),
  }));
  expect(state.windows).toBe(1);
  expect(state.url.startsWith('app://distillery/')).toBe(true);
});

test('the window state is saved in the data folder', async () => {
  await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0].setBounds({ width: 1111, height: 777 }));
  await expect
    .poll(() => {
      try {
        return JSON.parse(readFileSync(path.join(home, 'window-state.json'), 'utf8')).width as number;
      } catch {
        return 0;
      }
    })
    .toBe(1111);
});

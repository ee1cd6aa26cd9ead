/**
 * The one app window, locked down: isolated, sandboxed preload, no Node in the page, strict CSP, no navigation away
 * from the app, no new windows (allow-listed https links open in the user's browser instead).
 */
import { BrowserWindow, nativeTheme, screen, session, shell, type Rectangle } from 'electron';
import { CONTENT_SECURITY_POLICY, isAllowedExternalUrl, isAppUrl, type AppLocation } from './security';
import { clampToDisplays, loadWindowState, MIN_WINDOW_SIZE, saveWindowState, type WindowState } from './window-state';

export interface MainWindowOptions {
  app: AppLocation;
  preloadFile: string;
  dataDir: string;
  iconFile?: string;
}

/** Sets the CSP header on every response for the app's pages (file:// and the dev server). Once per session. */
export function installContentSecurityPolicy(app: AppLocation): void {
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    const headers = { ...details.responseHeaders };
    // The dev server needs inline scripts (React refresh): its page keeps the relaxed meta tag only.
    if (!app.devServerUrl) headers['Content-Security-Policy'] = [CONTENT_SECURITY_POLICY];
    callback({ responseHeaders: headers });
  });
  // The app asks for no permissions (camera, notifications, …): refuse them all.
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
}

function openIfAllowed(url: string): void {
  if (isAllowedExternalUrl(url)) void shell.openExternal(url);
  else console.warn(`Blocked a link to ${url.slice(0, 200)}: not on the allow-list of external sites`);
}

function restoredState(dataDir: string): WindowState {
  const displays = screen.getAllDisplays().map((display) => display.workArea);
  return clampToDisplays(loadWindowState(dataDir), displays, screen.getPrimaryDisplay().workArea);
}

function rememberState(window: BrowserWindow, dataDir: string): void {
  let timer: NodeJS.Timeout | undefined;
  const save = () => {
    if (window.isDestroyed()) return;
    const bounds: Rectangle = window.getNormalBounds();
    try {
      saveWindowState(dataDir, { ...bounds, maximized: window.isMaximized() });
    } catch (error) {
      console.warn(`Could not save the window state: ${(error as Error).message}`);
    }
  };
  const saveSoon = () => {
    clearTimeout(timer);
    timer = setTimeout(save, 400);
  };
  window.on('resize', saveSoon);
  window.on('move', saveSoon);
  window.on('maximize', saveSoon);
  window.on('unmaximize', saveSoon);
  window.on('close', () => {
    clearTimeout(timer);
    save();
  });
}

export function createMainWindow(options: MainWindowOptions): BrowserWindow {
  const state = restoredState(options.dataDir);
  const window = new BrowserWindow({
    ...(state.x !== undefined && state.y !== undefined ? { x: state.x, y: state.y } : {}),
    width: state.width,
    height: state.height,
    minWidth: MIN_WINDOW_SIZE.width,
    minHeight: MIN_WINDOW_SIZE.height,
    show: false,
    title: 'Distillery',
    // The theme's page colour, so the window never flashes the wrong one before the renderer paints.
    backgroundColor: nativeTheme.shouldUseDarkColors ? '#151517' : '#f7f7f5',
    ...(options.iconFile ? { icon: options.iconFile } : {}),
    webPreferences: {
      preload: options.preloadFile,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  if (state.maximized) window.maximize();
  rememberState(window, options.dataDir);

  window.once('ready-to-show', () => window.show());
  window.webContents.setWindowOpenHandler(({ url }) => {
    openIfAllowed(url);
    return { action: 'deny' };
  });
  window.webContents.on('will-navigate', (event, url) => {
    if (isAppUrl(url, options.app)) return; // hash changes and reloads of the app itself
    event.preventDefault();
    openIfAllowed(url);
  });
  window.webContents.on('will-attach-webview', (event) => event.preventDefault());

  if (options.app.devServerUrl) void window.loadURL(options.app.devServerUrl);
  else void window.loadFile(options.app.rendererFile);
  return window;
}

/**
 * The one app window, locked down: isolated, sandboxed preload, no Node in the page, strict CSP, no navigation away
 * from the app, no new windows (allow-listed https links open in the user's browser instead).
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BrowserWindow, nativeTheme, net, protocol, screen, session, shell, type Rectangle } from 'electron';
import {
  APP_ORIGIN,
  APP_SCHEME,
  CONTENT_SECURITY_POLICY,
  isAllowedExternalUrl,
  isAppUrl,
  isPermissionAllowed,
  rendererFileFor,
  type AppLocation,
} from './security';
import { clampToDisplays, loadWindowState, MIN_WINDOW_SIZE, saveWindowState, type WindowState } from './window-state';

export interface MainWindowOptions {
  app: AppLocation;
  preloadFile: string;
  dataDir: string;
  iconFile?: string;
}

/** app:// must be known before the app is ready: a standard, secure scheme (its own origin, fetch allowed). */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
}

/**
 * Once per session, after ready: app:// serves the built renderer (with the CSP header), and every permission the
 * page might ask for or probe is refused (the app uses none).
 */
export function installSessionSecurity(app: AppLocation): void {
  const rendererDir = path.dirname(app.rendererFile);
  protocol.handle(APP_SCHEME, async (request) => {
    const file = rendererFileFor(request.url, rendererDir);
    if (!file) return new Response('Not found.', { status: 404 });
    try {
      const found = await net.fetch(pathToFileURL(file).href);
      const headers = new Headers(found.headers);
      headers.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
      headers.set('X-Content-Type-Options', 'nosniff');
      return new Response(found.body, { status: found.status, headers });
    } catch {
      return new Response('Not found.', { status: 404 });
    }
  });
  session.defaultSession.setPermissionRequestHandler((_contents, permission, callback) => callback(isPermissionAllowed(permission)));
  session.defaultSession.setPermissionCheckHandler((_contents, permission) => isPermissionAllowed(permission));
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
  else void window.loadURL(`${APP_ORIGIN}/index.html`);
  return window;
}

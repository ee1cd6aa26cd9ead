/**
 * The Electron main process: a thin shell. It owns the window, the IPC bridge and the engine's lifetime; all app
 * logic is in the services (electron/services), all model work in the engine process (out/main/engine.js).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, dialog, type BrowserWindow } from 'electron';
import { EngineHost } from '../engine';
import { createServices, type Services } from '../services';
import { setHubTokenStore } from '../services/downloads-hub';
import { keychainTokenStore } from './hub-token';
import { utilityEngineSpawner } from './engine-process';
import { registerApiIpc } from './ipc';
import { electronSqliteBinding, MISSING_BINDING_HINT } from './native-binding';
import type { AppLocation } from './security';
import { createMainWindow, installSessionSecurity, registerAppScheme } from './window';

const outMain = path.dirname(fileURLToPath(import.meta.url)); // <app>/out/main
const appRoot = path.resolve(outMain, '..', '..');

// Data lives in the user-data dir (~/.config/Distillery, …); DISTILLERY_HOME moves all of it, Chromium's own files
// and the single-instance lock included, so tests and side-by-side installs never share state.
app.setPath('userData', process.env.DISTILLERY_HOME ? path.resolve(process.env.DISTILLERY_HOME) : path.join(app.getPath('appData'), 'Distillery'));

registerAppScheme(); // before ready, as Electron requires

let mainWindow: BrowserWindow | null = null;
let services: Services | null = null;
let engineHost: EngineHost | null = null;

function focusWindow(): void {
  if (!mainWindow || mainWindow.isDestroyed()) return;
  if (mainWindow.isMinimized()) mainWindow.restore();
  mainWindow.show();
  mainWindow.focus();
}

function openServices(dataDir: string, host: EngineHost): Services | null {
  try {
    const services = createServices({ dataDir, engineHost: host, transport: 'ipc', nativeBinding: electronSqliteBinding(appRoot) });
    setHubTokenStore(services.context, keychainTokenStore(dataDir));
    return services;
  } catch (error) {
    const message = (error as Error).message;
    const abiMismatch = /NODE_MODULE_VERSION|was compiled against a different Node\.js version|better_sqlite3\.node/i.test(message);
    dialog.showErrorBox('Distillery could not open its data', `${message}\n\n${abiMismatch ? MISSING_BINDING_HINT : `Data folder: ${dataDir}`}`);
    return null;
  }
}

async function start(): Promise<void> {
  const dataDir = app.getPath('userData');
  const location: AppLocation = {
    rendererFile: path.join(outMain, '..', 'renderer', 'index.html'),
    devServerUrl: !app.isPackaged ? process.env.ELECTRON_RENDERER_URL : undefined,
  };
  installSessionSecurity(location);

  engineHost = new EngineHost({ spawn: utilityEngineSpawner({ entry: path.join(outMain, 'engine.js') }) });
  services = openServices(dataDir, engineHost);
  if (!services) {
    app.exit(1);
    return;
  }
  registerApiIpc(services, location, () => mainWindow);
  engineHost.start().catch((error: unknown) => console.error(`The engine did not start: ${(error as Error).message}`));

  const openWindow = () => {
    mainWindow = createMainWindow({
      app: location,
      preloadFile: path.join(outMain, '..', 'preload', 'index.cjs'),
      dataDir,
      iconFile: path.join(appRoot, 'resources', 'icon.png'),
    });
    mainWindow.on('closed', () => {
      mainWindow = null;
    });
  };
  openWindow();
  app.on('activate', () => {
    if (!mainWindow) openWindow();
  });
}

/** Stops the engine and closes the database before the process goes; runs once. */
let shuttingDown = false;
async function shutdown(): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  try {
    await services?.close();
    await engineHost?.stop();
  } catch (error) {
    console.error(`Error while shutting down: ${(error as Error).message}`);
  }
}

if (!app.requestSingleInstanceLock()) {
  // Another Distillery owns this data folder: it gets focused (second-instance below) and this one leaves.
  app.quit();
} else {
  app.on('second-instance', focusWindow);
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('before-quit', (event) => {
    if (shuttingDown) return;
    event.preventDefault();
    void shutdown().finally(() => app.quit());
  });
  app.whenReady().then(start).catch((error: unknown) => {
    dialog.showErrorBox('Distillery could not start', (error as Error).message);
    app.exit(1);
  });
}

import type { DistilleryApi } from '../electron/contract/api';

declare global {
  interface Window {
    /** Set by the Electron preload; absent when the renderer is served by the headless server. */
    readonly distillery?: DistilleryApi;
  }
}

export {};

/**
 * The Hugging Face token in the desktop app, encrypted with the OS keychain (Electron safeStorage: Keychain on
 * macOS, DPAPI on Windows, libsecret/kwallet on Linux) in <userData>/hub-token.bin. Never written in clear text:
 * where no keychain is available, the token is refused and HF_TOKEN is the way.
 */
import fs from 'node:fs';
import path from 'node:path';
import { safeStorage } from 'electron';
import type { HubTokenStore } from '../services/downloads-hub';

export function keychainTokenStore(userData: string): HubTokenStore {
  const file = path.join(userData, 'hub-token.bin');
  return {
    get() {
      try {
        if (!fs.existsSync(file) || !safeStorage.isEncryptionAvailable()) return undefined;
        return safeStorage.decryptString(fs.readFileSync(file)) || undefined;
      } catch {
        return undefined; // a keychain that changed: the user adds the token again
      }
    },
    set(token) {
      if (token === null) {
        fs.rmSync(file, { force: true });
        return;
      }
      if (!safeStorage.isEncryptionAvailable()) {
        throw new Error('No OS keychain is available to keep the token safely: start Distillery with HF_TOKEN=hf_… instead.');
      }
      fs.writeFileSync(file, safeStorage.encryptString(token), { mode: 0o600 });
    },
  };
}

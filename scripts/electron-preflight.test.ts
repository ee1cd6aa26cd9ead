// The desktop app's preflight: a missing Electron binary or unreachable headers end in one line that says what is
// missing and that `npm run serve` runs the same app in a browser.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM script without types
import { missingBinaryMessage, nodeAtLeast, nodeGypFailureMessage } from './electron-preflight.mjs';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'electron-preflight-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('electron preflight', () => {
  it('says the binary is missing, how to get it and that npm run serve works without it', () => {
    const message = missingBinaryMessage(dir, '45.4.1', {}, '20.20.2');
    expect(message).toBe(
      'The Electron 45.4.1 binary is not installed (skipped at install or no network): `npm rebuild electron` downloads it, ' +
        'with Node ≥ 22.12 (this is 20.20.2) and access to github.com. `npm run serve` runs the same app in a browser without it.',
    );
    expect(missingBinaryMessage(dir, '45.4.1', {}, '22.12.0')).toMatch(/^The Electron 45\.4\.1 binary is not installed .*downloads it \(needs access to github\.com\)/);
    fs.mkdirSync(path.join(dir, 'dist'));
    fs.writeFileSync(path.join(dir, 'path.txt'), 'electron');
    fs.writeFileSync(path.join(dir, 'dist', 'electron'), '');
    expect(missingBinaryMessage(dir, '45.4.1', {})).toBeUndefined();
    expect(missingBinaryMessage(path.join(dir, 'none'), '45.4.1', { ELECTRON_OVERRIDE_DIST_PATH: path.join(dir, 'dist', 'electron') })).toBeUndefined();
  });

  it('reduces a node-gyp failure to its cause', () => {
    const offline = [
      'gyp info find Python using Python version 3.11.7 found at "/usr/bin/python3"',
      'gyp http GET https://electronjs.org/headers/v45.4.1/node-v45.4.1-headers.tar.gz',
      'gyp ERR! stack Error: This is most likely not a problem with node-gyp or the package itself and',
      'gyp ERR! stack is related to network connectivity. In most cases you are behind a proxy or have bad',
    ].join('\n');
    expect(nodeGypFailureMessage(offline, '45.4.1')).toMatch(/^Could not download Electron 45\.4\.1's headers .* `npm run serve` runs the same app in a browser/);
    expect(nodeGypFailureMessage('gyp ERR! find Python \ngyp ERR! find Python You need to install the latest version of Python.\ngyp ERR! configure error Could not find any Python installation to use', '45.4.1')).toMatch(/needs python3/);
    expect(nodeGypFailureMessage('gyp ERR! stack Error: not found: make', '45.4.1')).toMatch(/needs make and a C\+\+ compiler/);
    expect(nodeGypFailureMessage('gyp ERR! something else', '45.4.1')).toMatch(/failed \(log: build\/native-electron\/node-gyp\.log\)/);
    expect(nodeAtLeast([22, 12], '22.11.9')).toBe(false);
    expect(nodeAtLeast([22, 12], '24.0.0')).toBe(true);
  });
});

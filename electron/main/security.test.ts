import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SECURITY_HEADERS } from '../server/http';
import { CONTENT_SECURITY_POLICY, isAllowedExternalUrl, isAppUrl, isPermissionAllowed, rendererFileFor } from './security';

describe('isAllowedExternalUrl', () => {
  it('allows https links to the hub, source hosting and docs', () => {
    expect(isAllowedExternalUrl('https://huggingface.co/deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B')).toBe(true);
    expect(isAllowedExternalUrl('https://github.com/microsoft/onnxruntime/releases')).toBe(true);
    expect(isAllowedExternalUrl('https://onnxruntime.ai/docs/execution-providers/CUDA-ExecutionProvider.html')).toBe(true);
    expect(isAllowedExternalUrl('https://docs.nvidia.com/cuda/')).toBe(true);
  });

  it('refuses other schemes, hosts, look-alikes, credentials and odd ports', () => {
    for (const url of [
      'http://huggingface.co/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'https://evil.example/',
      'https://huggingface.co.evil.example/',
      'https://nothuggingface.co/',
      'https://user:pw@github.com/',
      'https://github.com:8443/',
      'not a url',
    ]) {
      expect(isAllowedExternalUrl(url), url).toBe(false);
    }
  });
});

describe('isAppUrl', () => {
  const rendererFile = path.resolve('/opt/distillery/out/renderer/index.html');
  const app = { rendererFile };

  it('accepts the renderer page served from app://distillery, with or without a hash', () => {
    expect(isAppUrl('app://distillery/index.html', app)).toBe(true);
    expect(isAppUrl('app://distillery/index.html#/settings', app)).toBe(true);
    expect(isAppUrl('app://distillery/', app)).toBe(true);
  });

  it('refuses file:// (the whole disk is its origin), other hosts and pages, remote pages and the dev server unless in use', () => {
    expect(isAppUrl(pathToFileURL(rendererFile).href, app)).toBe(false);
    expect(isAppUrl('app://evil/index.html', app)).toBe(false);
    expect(isAppUrl('app://distillery/other.html', app)).toBe(false);
    expect(isAppUrl(pathToFileURL('/opt/distillery/out/renderer/other.html').href, app)).toBe(false);
    expect(isAppUrl(pathToFileURL('/tmp/index.html').href, app)).toBe(false);
    expect(isAppUrl('https://example.com/', app)).toBe(false);
    expect(isAppUrl('http://localhost:5173/', app)).toBe(false);
    expect(isAppUrl('file://remote-host/opt/distillery/out/renderer/index.html', app)).toBe(false);
  });

  it('accepts the dev server origin in development only', () => {
    const dev = { rendererFile, devServerUrl: 'http://localhost:5173' };
    expect(isAppUrl('http://localhost:5173/#/chat', dev)).toBe(true);
    expect(isAppUrl('http://localhost:5174/', dev)).toBe(false);
  });
});

describe('rendererFileFor (the app:// handler)', () => {
  const dir = path.resolve('/opt/distillery/out/renderer');

  it('serves files of the renderer folder, and index.html for the single page’s routes', () => {
    expect(rendererFileFor('app://distillery/assets/index-abc.js', dir)).toBe(path.join(dir, 'assets', 'index-abc.js'));
    expect(rendererFileFor('app://distillery/', dir)).toBe(path.join(dir, 'index.html'));
    expect(rendererFileFor('app://distillery/settings', dir)).toBe(path.join(dir, 'index.html'));
    expect(rendererFileFor('app://distillery/index.html?x=1#/chat', dir)).toBe(path.join(dir, 'index.html'));
  });

  it('never leaves the renderer folder, and answers only its own host', () => {
    for (const url of [
      'app://distillery/../../etc/passwd',
      'app://distillery/%2e%2e/%2e%2e/etc/passwd',
      'app://distillery/assets/..%2f..%2f..%2fetc%2fpasswd',
      'app://distillery/a%5c..%5c..%5csecret.txt',
      'app://distillery/%00.js',
      'app://distillery/%E0%A4%A',
    ]) {
      const file = rendererFileFor(url, dir);
      expect(file === undefined || file.startsWith(dir + path.sep), url).toBe(true);
    }
    expect(rendererFileFor('app://distillery/%00.js', dir)).toBeUndefined();
    expect(rendererFileFor('app://other/index.html', dir)).toBeUndefined();
    expect(rendererFileFor('file:///etc/passwd', dir)).toBeUndefined();
  });
});

describe('one CSP and no permissions', () => {
  it('the desktop app and the headless server send the same policy; only style attributes are inline', () => {
    expect(SECURITY_HEADERS['Content-Security-Policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).toMatch(/(^|; )script-src 'self'(;|$)/);
    expect(CONTENT_SECURITY_POLICY).toMatch(/(^|; )style-src 'self'(;|$)/);
    expect(CONTENT_SECURITY_POLICY).toMatch(/(^|; )style-src-attr 'unsafe-inline'(;|$)/);
    expect(CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
  });

  it('refuses every permission', () => {
    for (const permission of ['media', 'notifications', 'geolocation', 'clipboard-read', 'openExternal', 'fullscreen']) {
      expect(isPermissionAllowed(permission), permission).toBe(false);
    }
  });
});

describe('links in the renderer', () => {
  it('all point at allow-listed sites, so the desktop app can open them', () => {
    const rendererDir = path.resolve(import.meta.dirname, '..', '..', 'renderer');
    const sources = readdirSync(rendererDir, { recursive: true, encoding: 'utf8' }).filter((file) => /\.tsx?$/.test(file) && !/\.test\.tsx?$/.test(file)); // tests hold hostile URLs on purpose
    const urls = sources.flatMap((file) => readFileSync(path.join(rendererDir, file), 'utf8').match(/https:\/\/[^\s'"`)<>]+/g) ?? []);
    expect(urls.length).toBeGreaterThan(0);
    for (const url of urls) expect(isAllowedExternalUrl(url), url).toBe(true);
  });
});

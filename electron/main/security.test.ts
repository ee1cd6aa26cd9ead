import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isAllowedExternalUrl, isAppUrl } from './security';

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

  it('accepts the built renderer page, with or without a hash', () => {
    expect(isAppUrl(pathToFileURL(rendererFile).href, app)).toBe(true);
    expect(isAppUrl(`${pathToFileURL(rendererFile).href}#/settings`, app)).toBe(true);
  });

  it('refuses other files, remote pages and the dev server unless it is in use', () => {
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

describe('links in the renderer', () => {
  it('all point at allow-listed sites, so the desktop app can open them', () => {
    const rendererDir = path.resolve(import.meta.dirname, '..', '..', 'renderer');
    const sources = readdirSync(rendererDir, { recursive: true, encoding: 'utf8' }).filter((file) => /\.tsx?$/.test(file) && !/\.test\.tsx?$/.test(file)); // tests hold hostile URLs on purpose
    const urls = sources.flatMap((file) => readFileSync(path.join(rendererDir, file), 'utf8').match(/https:\/\/[^\s'"`)<>]+/g) ?? []);
    expect(urls.length).toBeGreaterThan(0);
    for (const url of urls) expect(isAllowedExternalUrl(url), url).toBe(true);
  });
});

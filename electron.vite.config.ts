import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';
import { CONTENT_SECURITY_POLICY_META, DEV_CONTENT_SECURITY_POLICY } from './electron/contract/csp';

// Native and heavy packages stay in node_modules: they load their own binaries at run time.
const nativeDeps = ['better-sqlite3', 'onnxruntime-node', '@huggingface/transformers'];

const root = dirname(fileURLToPath(import.meta.url));

// The CSP (electron/contract/csp.ts, its one definition) goes into the built index.html as a meta tag too; the dev
// server needs inline scripts (React refresh preamble) and a websocket, so its meta tag is relaxed there only.
const productionCsp = CONTENT_SECURITY_POLICY_META;
const devCsp = DEV_CONTENT_SECURITY_POLICY;

function cspMetaTag(): Plugin {
  let csp = productionCsp;
  return {
    name: 'distillery-csp-meta',
    configResolved(config) {
      csp = config.command === 'serve' ? devCsp : productionCsp;
    },
    transformIndexHtml(html) {
      return html.replace('__DISTILLERY_CSP__', csp);
    },
  };
}

export default defineConfig({
  main: {
    build: {
      outDir: resolve(root, 'out/main'),
      externalizeDeps: { include: nativeDeps },
      rollupOptions: {
        input: {
          index: resolve(root, 'electron/main/index.ts'),
          // The engine runs in its own process (utilityProcess.fork(out/main/engine.js)).
          engine: resolve(root, 'electron/engine/main.ts'),
        },
        output: { format: 'es', entryFileNames: '[name].js' },
      },
    },
  },
  preload: {
    build: {
      outDir: resolve(root, 'out/preload'),
      // Sandboxed preloads cannot require packages: bundle everything (zod included) into one CommonJS file.
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve(root, 'electron/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs', inlineDynamicImports: true },
      },
    },
  },
  renderer: {
    root: resolve(root, 'renderer'),
    // Relative asset paths: the same build loads from file:// in Electron and from the headless server.
    base: './',
    plugins: [react(), cspMetaTag()],
    build: {
      outDir: resolve(root, 'out/renderer'),
      emptyOutDir: true,
      // Also served over HTTP by the headless server: ship it minified.
      minify: 'esbuild',
      // KaTeX's fonts stay files: an inlined data: font would need `font-src data:` in the CSP.
      assetsInlineLimit: (file: string) => (/\.(woff2?|ttf)$/.test(file) ? false : undefined),
      rollupOptions: { input: { index: resolve(root, 'renderer/index.html') } },
    },
  },
});

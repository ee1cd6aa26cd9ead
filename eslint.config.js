// Flat config. Besides the usual TypeScript checks it enforces the process boundaries: only electron/main and
// electron/preload may import Electron; the renderer and the API contract import no Node modules and nothing from
// electron/ except the contract; the core's folders form layers that only import downwards (CORE_LAYERS below);
// product code never imports the test support in electron/testing.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const nodeBuiltins = builtinModules.filter((name) => !name.startsWith('_'));

const electronImport = {
  paths: [{ name: 'electron', message: 'Only electron/main and electron/preload may import Electron: the core runs in plain Node.' }],
  patterns: [{ group: ['electron/*'], message: 'Only electron/main and electron/preload may import Electron.' }],
};

const browserOnly = (what) => ({
  paths: [
    { name: 'electron', message: `${what} runs without Node or Electron: go through the API (window.distillery / HTTP).` },
    ...nodeBuiltins.map((name) => ({ name, message: `${what} must not import Node modules.` })),
  ],
  patterns: [
    { group: ['node:*'], message: `${what} must not import Node modules.` },
    { group: [...nodeBuiltins.map((name) => `${name}/*`)], message: `${what} must not import Node modules.` },
  ],
});

const rendererImports = {
  ...browserOnly('The renderer'),
  patterns: [
    ...browserOnly('The renderer').patterns,
    {
      regex: '(^|/)electron/(?!contract(/|$))',
      message: 'The renderer may import only electron/contract from electron/ (everything else is Node).',
    },
    {
      regex: '(^|/)screens/[^/]+/(?![A-Z][A-Za-z]*Screen$)',
      message: "Outside its folder only a screen's XScreen component is imported (by App.tsx): share through renderer/components or renderer/state.",
    },
  ],
};

/**
 * Inside a screen folder: nothing from another screen's folder, and no CSS but the folder's own (shared styles live
 * in renderer/styles, imported once by main.tsx, or beside the shared component that uses them).
 */
const screenImports = {
  ...rendererImports,
  patterns: [
    ...rendererImports.patterns,
    { regex: '^\\.\\./[^.]', message: "A screen imports nothing from another screen's folder: share through renderer/components or renderer/state." },
    { regex: '^\\.\\..*\\.css$', message: 'A screen imports only its own CSS (./name.css); shared styles belong in renderer/styles or beside their component.' },
  ],
};

/**
 * The core's layers, lowest first. A folder may import its own layer's folders and those below, never above.
 * - util, contract: pure helpers and the zod contracts (the contract's own block below is stricter still).
 * - onnx ← model: the ONNX IR/writer, then the Qwen2/Llama graph builder and checkpoint readers.
 * - engine runtime (electron/engine/*.ts): the process protocol, host and registry that handlers plug into; it knows
 *   no handler, so generate/convert/train can yield and report through it without an upward import.
 * - generate, traces, answers: decoding, trace import, answer checking; then convert, then train and downloads
 *   (training merges through the converter).
 * - engine handlers (electron/engine/handlers, electron/engine/main.ts): adapt the modules above to the engine.
 * - store ← services ← server, cli, main.
 */
const CORE_LAYERS = [
  ['util', 'contract'],
  ['onnx'],
  ['model'],
  ['tokenizer'],
  ['engine'],
  ['generate', 'traces', 'answers'],
  ['convert'],
  ['train', 'downloads'],
  ['engine/handlers'],
  ['store'],
  ['services'],
  ['server', 'cli', 'main'],
];
const layerFiles = (folder) =>
  folder === 'engine'
    ? { files: ['electron/engine/*.{ts,tsx}'], ignores: ['electron/engine/main.ts', 'electron/**/*.test.ts'] }
    : folder === 'engine/handlers'
      ? { files: ['electron/engine/handlers/**/*.{ts,tsx}', 'electron/engine/main.ts'], ignores: ['electron/**/*.test.ts'] }
      : { files: [`electron/${folder}/**/*.{ts,tsx}`], ignores: ['electron/**/*.test.ts'] };
// Relative imports only (the core has no path aliases): `../services`, `../../services/x`. From electron/engine/*.ts,
// `./handlers` and `./main` are the handler layer.
const importOf = (folder) =>
  folder === 'engine/handlers'
    ? ['^(\\.\\./)+engine/handlers(/|$)', '^\\./(handlers|main)(/|$)']
    : [`^(\\.\\./)+${folder}(/|$)`];
const layerRules = CORE_LAYERS.flatMap((layer, index) => {
  const above = CORE_LAYERS.slice(index + 1).flat();
  return layer
    .filter((folder) => folder !== 'main' && folder !== 'contract')
    .map((folder) => ({
      ...layerFiles(folder),
      rules: {
        'no-restricted-imports': [
          'error',
          {
            paths: electronImport.paths,
            patterns: [
              ...electronImport.patterns,
              ...above.flatMap(importOf).map((regex) => ({
                regex,
                message: `electron/${folder} is below ${above.join(', ')} in the core's layers (eslint.config.js): import downwards only.`,
              })),
              { regex: '^(\\.\\./)+testing(/|$)', message: 'Product code never imports the test support in electron/testing.' },
            ],
          },
        ],
      },
    }));
});

export default tseslint.config(
  {
    ignores: ['out/**', 'dist/**', 'build/**', '.tmp/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', 'electron.vite.config.*.mjs'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // The core: engine, onnx, model, convert, train, store, services, server, cli, generate, tokenizer, testing, contract.
    files: ['electron/**/*.{ts,tsx,js,mjs}', 'bench/**/*.{ts,js,mjs}', 'bin/**/*.{ts,js,mjs}'],
    ignores: ['electron/main/**', 'electron/preload/**'],
    rules: { 'no-restricted-imports': ['error', electronImport] },
  },
  ...layerRules,
  {
    // The Electron main process is the top layer; it too never imports the test support.
    files: ['electron/main/**/*.ts'],
    ignores: ['electron/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(\\.\\./)+testing(/|$)', message: 'Product code never imports the test support in electron/testing.' }] }],
    },
  },
  {
    files: ['electron/contract/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          ...browserOnly('The API contract'),
          patterns: [
            ...browserOnly('The API contract').patterns,
            { group: ['../*'], message: 'The API contract is shared by the renderer: it imports nothing from other app folders.' },
          ],
        },
      ],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
      // Model output is untrusted text: it is rendered as text, never as HTML.
      'no-restricted-syntax': [
        'error',
        { selector: "JSXAttribute[name.name='dangerouslySetInnerHTML']", message: 'Never render HTML: model output is untrusted.' },
        { selector: "AssignmentExpression[left.property.name=/^(innerHTML|outerHTML)$/]", message: 'Never assign HTML: model output is untrusted.' },
      ],
      'no-restricted-imports': ['error', rendererImports],
    },
  },
  {
    files: ['renderer/screens/**/*.{ts,tsx}'],
    rules: { 'no-restricted-imports': ['error', screenImports] },
  },
  {
    // Vitest files in the renderer test pure logic in Node; they may use Node helpers.
    files: ['renderer/**/*.test.{ts,tsx}'],
    languageOptions: { globals: { ...globals.node } },
  },
);

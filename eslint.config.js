// Flat config. Besides the usual TypeScript checks it enforces the process boundaries of DEVELOPERS.md:
// only electron/main and electron/preload may import Electron; the renderer and the API contract import no Node
// modules and nothing from electron/ except the contract.
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
      'no-restricted-imports': [
        'error',
        {
          ...browserOnly('The renderer'),
          patterns: [
            ...browserOnly('The renderer').patterns,
            {
              regex: '(^|/)electron/(?!contract(/|$))',
              message: 'The renderer may import only electron/contract from electron/ (everything else is Node).',
            },
          ],
        },
      ],
    },
  },
  {
    // Vitest files in the renderer test pure logic in Node; they may use Node helpers.
    files: ['renderer/**/*.test.{ts,tsx}'],
    languageOptions: { globals: { ...globals.node } },
  },
);

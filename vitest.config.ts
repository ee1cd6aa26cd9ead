import { defineConfig } from 'vitest/config';

// Unit and integration tests of the Node core and the renderer's pure logic.
// ORT sessions and child processes are heavy on a 2-core machine: keep the pool small.
export default defineConfig({
  // One KaTeX, as in the renderer build (electron.vite.config.ts): rehype-katex ships its own older copy.
  resolve: { dedupe: ['katex'] },
  test: {
    server: { deps: { inline: ['rehype-katex'] } },
    include: ['electron/**/*.test.ts', 'renderer/**/*.test.ts', 'renderer/**/*.test.tsx', 'bin/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});

import { defineConfig } from 'vitest/config';

// Unit and integration tests of the Node core and the renderer's pure logic.
// ORT sessions and child processes are heavy on a 2-core machine: keep the pool small.
export default defineConfig({
  test: {
    include: ['electron/**/*.test.ts', 'renderer/**/*.test.ts', 'renderer/**/*.test.tsx', 'bin/**/*.test.ts', 'scripts/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});

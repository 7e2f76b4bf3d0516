// Vitest configuration for the whole workspace: one run covers unit tests beside the code (packages,
// examples, bench) and tests/.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'tests/**/*.test.ts', 'examples/**/*.test.ts', 'bench/src/**/*.test.ts'],
    testTimeout: 60_000,
    pool: 'forks',
  },
});

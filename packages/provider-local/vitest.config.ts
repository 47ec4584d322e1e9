import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Tests use the conformance suite and the load generator from their sources (no build of those first).
    alias: {
      '@warmpool/testing/conformance': fileURLToPath(new URL('../testing/src/conformance/index.ts', import.meta.url)),
      '@warmpool/loadgen': fileURLToPath(new URL('../loadgen/src/index.ts', import.meta.url)),
    },
  },
  test: {
    name: '@warmpool/provider-local',
    include: ['test/**/*.test.ts'],
    exclude: ['dist/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});

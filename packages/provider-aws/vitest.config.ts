import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Tests drive the fake from its sources, so they need no build of @warmpool/testing first.
    alias: { '@warmpool/testing/aws': fileURLToPath(new URL('../testing/src/aws/index.ts', import.meta.url)) },
  },
  test: {
    name: '@warmpool/provider-aws',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['dist/**', 'node_modules/**'],
  },
});

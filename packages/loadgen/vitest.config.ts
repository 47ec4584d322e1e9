import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: '@warmpool/loadgen',
    include: ['test/**/*.test.ts'],
    exclude: ['dist/**', 'node_modules/**'],
  },
});

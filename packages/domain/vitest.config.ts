import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: '@warmpool/domain',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['dist/**', 'node_modules/**'],
  },
});

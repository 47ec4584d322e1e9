import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: '@warmpool/dashboard',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['dist/**', 'node_modules/**'],
  },
});

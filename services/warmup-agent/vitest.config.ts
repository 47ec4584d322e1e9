import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: '@warmpool/warmup-agent',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['dist/**', 'node_modules/**'],
  },
});

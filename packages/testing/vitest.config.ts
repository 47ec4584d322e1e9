import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: '@warmpool/testing',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['dist/**', 'node_modules/**'],
    // The AWS SDK warns once per process that its 2027 releases need Node >= 22; these machines run Node 20 on purpose.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});

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
    // The AWS SDK warns once per process that its 2027 releases need Node >= 22; these machines run Node 20 on purpose.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});

import { afterAll, beforeAll } from 'vitest';

/** `warmpool-agent serve` of the bundled tiny-transformer (named `tiny`) on the CPU, with a registrar. */
export function serveArgs(o: { spec: string; optCache: string; registrar: 'aws' | 'kubernetes' }): string[] {
  return [
    'serve',
    '--model',
    'tiny-transformer',
    '--name',
    'tiny',
    '--spec',
    o.spec,
    '--providers',
    'cpu',
    '--opt-cache',
    o.optCache,
    '--registrar',
    o.registrar,
  ];
}

/** The AWS registrar's options against the fakes (Auto Scaling and IMDS), with one quick registration retry. */
export function awsRegistrarArgs(o: { group: string; hook: string; awsEndpoint: string; imdsUrl: string }): string[] {
  return [
    '--asg',
    o.group,
    '--lifecycle-hook',
    o.hook,
    '--aws-endpoint',
    o.awsEndpoint,
    '--imds-endpoint',
    o.imdsUrl,
    '--register-retries',
    '1',
    '--register-retry-delay-ms',
    '1',
  ];
}

const AWS_ENV = {
  AWS_ACCESS_KEY_ID: 'AKIDFAKE',
  AWS_SECRET_ACCESS_KEY: 'fake-secret',
  AWS_EC2_METADATA_DISABLED: 'true',
} as const;

/**
 * Sets fake AWS credentials for the file's tests (the SDK's default credential chain reads them; nothing leaves
 * 127.0.0.1) and puts the environment back after them. Call at the top level of a test file.
 */
export function useFakeAwsCredentials(): void {
  const saved: Record<string, string | undefined> = {};
  beforeAll(() => {
    for (const [k, v] of Object.entries(AWS_ENV)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
  });
  afterAll(() => {
    for (const k of Object.keys(AWS_ENV)) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });
}

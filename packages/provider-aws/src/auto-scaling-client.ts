import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';

export interface AutoScalingClientOptions {
  /** Default `us-east-1`. */
  readonly region?: string;
  /** Endpoint override, e.g. `http://127.0.0.1:4566` for a fake; default: the region's endpoint. */
  readonly endpoint?: string;
  /** Static credentials; default: the SDK's provider chain (env, profile, instance role). */
  readonly credentials?: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
  };
  /** Per-request timeout (default 10 000 ms). */
  readonly requestTimeoutMs?: number;
}

/**
 * An Auto Scaling client with the SDK's own retries off (`maxAttempts: 1`): AwsCaller does the
 * backing off, so attempts and delays are the ones configured and tested.
 */
export function createAutoScalingClient(options: AutoScalingClientOptions = {}): AutoScalingClient {
  return new AutoScalingClient({
    region: options.region ?? 'us-east-1',
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
    ...(options.credentials !== undefined ? { credentials: { ...options.credentials } } : {}),
    maxAttempts: 1,
    requestHandler: {
      requestTimeout: options.requestTimeoutMs ?? 10_000,
      connectionTimeout: options.requestTimeoutMs ?? 10_000,
      // Without it the handler only logs a warning and keeps waiting.
      throwOnRequestTimeout: true,
    },
  });
}

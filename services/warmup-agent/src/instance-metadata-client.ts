import { WarmpoolError } from '@warmpool/domain';

export interface InstanceMetadataClientOptions {
  /** Base URL of the EC2 instance metadata service (default http://169.254.169.254). */
  readonly endpoint?: string;
  /** Per-request timeout (default 2000 ms): off EC2 the address does not answer at all. */
  readonly timeoutMs?: number;
  /** Lifetime asked for the IMDSv2 session token (default 300 s). */
  readonly tokenTtlS?: number;
}

export const DEFAULT_IMDS_ENDPOINT = 'http://169.254.169.254';

/** The values of `autoscaling/target-lifecycle-state`. */
export const TARGET_STATES = [
  'InService',
  'Warmed:Stopped',
  'Warmed:Running',
  'Warmed:Hibernated',
  'Terminated',
  'Detached',
  'Standby',
] as const;
export type TargetLifecycleState = (typeof TARGET_STATES)[number];
const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/**
 * Reads this instance's identity from the EC2 instance metadata service with IMDSv2:
 * `PUT /latest/api/token` (header `X-aws-ec2-metadata-token-ttl-seconds`), then
 * `GET /latest/meta-data/...` with `X-aws-ec2-metadata-token`. Every failure is a WarmpoolError
 * (`E_IMDS_UNREACHABLE`, `E_IMDS_BAD_ANSWER`) naming the endpoint and the path.
 */
export class InstanceMetadataClient {
  readonly endpoint: string;
  private readonly timeoutMs: number;
  private readonly tokenTtlS: number;
  private token: string | undefined;

  constructor(options: InstanceMetadataClientOptions = {}) {
    this.endpoint = (options.endpoint ?? DEFAULT_IMDS_ENDPOINT).replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 2_000;
    this.tokenTtlS = options.tokenTtlS ?? 300;
  }

  async instanceId(): Promise<string> {
    const id = await this.get('/latest/meta-data/instance-id');
    if (!INSTANCE_ID.test(id))
      throw this.badAnswer(
        '/latest/meta-data/instance-id',
        `not an EC2 instance id: ${JSON.stringify(id.slice(0, 80))}`,
      );
    return id;
  }

  async region(): Promise<string> {
    const region = await this.get('/latest/meta-data/placement/region');
    if (!REGION.test(region))
      throw this.badAnswer(
        '/latest/meta-data/placement/region',
        `not an AWS region: ${JSON.stringify(region.slice(0, 80))}`,
      );
    return region;
  }

  /**
   * Where Auto Scaling is taking this instance (`autoscaling/target-lifecycle-state`): `InService` (launching into
   * service, or leaving the warm pool), `Warmed:Stopped`, `Warmed:Running` or `Warmed:Hibernated` (launching into
   * the warm pool), `Terminated`, `Detached` or `Standby`. A 404 (the instance is in no group) is E_IMDS_BAD_ANSWER.
   */
  async targetLifecycleState(): Promise<TargetLifecycleState> {
    const path = '/latest/meta-data/autoscaling/target-lifecycle-state';
    const state = await this.get(path);
    if (!TARGET_STATES.includes(state as TargetLifecycleState))
      throw this.badAnswer(
        path,
        `not a target lifecycle state: ${JSON.stringify(state.slice(0, 80))} (expected one of ${TARGET_STATES.join(', ')})`,
      );
    return state as TargetLifecycleState;
  }

  private async get(path: string): Promise<string> {
    this.token ??= await this.newToken();
    try {
      return await this.request('GET', path, { 'x-aws-ec2-metadata-token': this.token });
    } catch (e) {
      // The session token expired (its TTL passed while the agent waited, e.g. in the warm pool): one fresh token.
      if (!(e instanceof WarmpoolError) || !e.message.includes(' answered 401')) throw e;
      this.token = await this.newToken();
      return this.request('GET', path, { 'x-aws-ec2-metadata-token': this.token });
    }
  }

  private newToken(): Promise<string> {
    return this.request('PUT', '/latest/api/token', { 'x-aws-ec2-metadata-token-ttl-seconds': String(this.tokenTtlS) });
  }

  private async request(method: string, path: string, headers: Record<string, string>): Promise<string> {
    let res: Response;
    try {
      res = await fetch(`${this.endpoint}${path}`, { method, headers, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      const why =
        (e as Error).name === 'TimeoutError'
          ? `no answer within ${this.timeoutMs} ms`
          : (cause?.code ?? cause?.message ?? (e as Error).message);
      throw new WarmpoolError(
        'E_IMDS_UNREACHABLE',
        `EC2 instance metadata service at ${this.endpoint}: ${method} ${path} failed: ${why} (not on EC2? pass --instance-id and --region)`,
        { cause: e },
      );
    }
    const body = (await res.text()).trim();
    if (res.status !== 200) throw this.badAnswer(path, `${method} answered ${res.status}: ${body.slice(0, 200)}`);
    if (!body) throw this.badAnswer(path, `${method} answered an empty body`);
    return body;
  }

  private badAnswer(path: string, detail: string): WarmpoolError {
    return new WarmpoolError(
      'E_IMDS_BAD_ANSWER',
      `EC2 instance metadata service at ${this.endpoint}: ${path}: ${detail}`,
    );
  }
}

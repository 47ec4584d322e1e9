import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AutoScalingWorld } from './auto-scaling-world.js';
import type { FakeGroup } from './world-types.js';

export interface FakeInstanceMetadataOptions {
  readonly instanceId: string;
  readonly region?: string;
  /**
   * Where `autoscaling/target-lifecycle-state` comes from: a fixed value, a function, or (default when `world` is
   * given) the instance's state in the Auto Scaling fake, mapped as EC2 does (see targetStateOf).
   */
  readonly targetLifecycleState?: string | (() => string | undefined);
  readonly world?: AutoScalingWorld;
  /** Clock for token expiry (default Date.now). */
  readonly clock?: () => number;
}

/** One request as the fake saw it. */
export interface ImdsRequest {
  readonly method: string;
  readonly path: string;
  readonly token: string | undefined;
  readonly ttl: string | undefined;
  readonly status: number;
}

/**
 * The target lifecycle state EC2 reports for an instance in a given Auto Scaling lifecycle state: where it is
 * heading. Launching into the warm pool (`Warmed:Pending*`) heads to `Warmed:<pool state>`; launching into service or
 * leaving the pool (`Pending*`, `InService`) to `InService`; leaving the group to `Terminated`.
 */
export function targetStateOf(group: FakeGroup, lifecycleState: string): string {
  if (lifecycleState.startsWith('Warmed:Terminat') || lifecycleState.startsWith('Terminat')) return 'Terminated';
  if (lifecycleState.startsWith('Warmed:')) return `Warmed:${group.warmPool?.poolState ?? 'Stopped'}`;
  if (lifecycleState === 'Detaching' || lifecycleState === 'Detached') return 'Detached';
  if (lifecycleState === 'EnteringStandby' || lifecycleState === 'Standby') return 'Standby';
  return 'InService';
}

/**
 * An HTTP fake of the EC2 instance metadata service (IMDSv2 only) on 127.0.0.1: `PUT /latest/api/token` with
 * `X-aws-ec2-metadata-token-ttl-seconds` (1-21600) returns a session token that expires after its TTL on the
 * injected clock; GETs under `/latest/meta-data/` need a live token (401 otherwise): `instance-id`,
 * `placement/region` and `autoscaling/target-lifecycle-state`. Every request is recorded.
 */
export class FakeInstanceMetadata {
  readonly requests: ImdsRequest[] = [];
  private readonly server: Server;
  private readonly tokens = new Map<string, number>();
  private readonly clock: () => number;
  private tokenSeq = 0;
  /** Answers for paths under /latest/meta-data/ set by the test (override the defaults). */
  readonly overrides = new Map<string, { status: number; body: string }>();

  private constructor(private readonly o: FakeInstanceMetadataOptions) {
    this.clock = o.clock ?? Date.now;
    this.server = createServer((req, res) => this.onRequest(req, res));
  }

  static async start(options: FakeInstanceMetadataOptions): Promise<FakeInstanceMetadata> {
    const fake = new FakeInstanceMetadata(options);
    await new Promise<void>((resolve, reject) => {
      fake.server.once('error', reject);
      fake.server.listen(0, '127.0.0.1', () => resolve());
    });
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Every session token issued so far expires now (as after its TTL). */
  expireTokens(): void {
    this.tokens.clear();
  }

  /** What `autoscaling/target-lifecycle-state` answers now (undefined: 404, the instance is in no group). */
  targetLifecycleState(): string | undefined {
    const t = this.o.targetLifecycleState;
    if (typeof t === 'string') return t;
    if (typeof t === 'function') return t();
    const world = this.o.world;
    if (!world) return undefined;
    const inst = world.instance(this.o.instanceId);
    if (!inst) return undefined;
    const group = world.describeGroups([]).find((g) => g.instances.includes(inst))!;
    return targetStateOf(group, inst.lifecycleState);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    const path = (req.url ?? '/').split('?')[0]!;
    const header = (name: string): string | undefined =>
      typeof req.headers[name] === 'string' ? (req.headers[name] as string) : undefined;
    const token = header('x-aws-ec2-metadata-token');
    const ttl = header('x-aws-ec2-metadata-token-ttl-seconds');
    const { status, body } = this.answer(req.method ?? '', path, token, ttl, header('x-forwarded-for'));
    this.requests.push({ method: req.method ?? '', path, token, ttl, status });
    res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) }).end(body);
  }

  private answer(
    method: string,
    path: string,
    token: string | undefined,
    ttl: string | undefined,
    forwarded: string | undefined,
  ): { status: number; body: string } {
    if (method === 'PUT' && path === '/latest/api/token') {
      // IMDS refuses token requests that went through a proxy.
      if (forwarded !== undefined) return { status: 403, body: '' };
      const ttlS = ttl !== undefined && /^\d+$/.test(ttl) ? Number(ttl) : Number.NaN;
      if (!(ttlS >= 1 && ttlS <= 21_600)) return { status: 400, body: '' };
      const issued = `fake-imds-token-${++this.tokenSeq}`;
      this.tokens.set(issued, this.clock() + ttlS * 1000);
      return { status: 200, body: issued };
    }
    if (method !== 'GET') return { status: 405, body: '' };
    const expiresAt = token !== undefined ? this.tokens.get(token) : undefined;
    if (expiresAt === undefined || this.clock() >= expiresAt) return { status: 401, body: '' };
    const key = path.replace(/^\/latest\/meta-data\//, '');
    const override = this.overrides.get(key);
    if (override) return override;
    switch (key) {
      case 'instance-id':
        return { status: 200, body: this.o.instanceId };
      case 'placement/region':
        return { status: 200, body: this.o.region ?? 'us-east-1' };
      case 'autoscaling/target-lifecycle-state': {
        const state = this.targetLifecycleState();
        return state === undefined ? { status: 404, body: '' } : { status: 200, body: state };
      }
      default:
        return { status: 404, body: '' };
    }
  }
}

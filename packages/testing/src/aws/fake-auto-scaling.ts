import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ACTION_HANDLERS } from './action-handlers.js';
import { AutoScalingWorld } from './auto-scaling-world.js';
import { AwsFault } from './aws-fault.js';
import { type Fault, FaultPlan } from './fault-plan.js';
import { QueryParams } from './query-params.js';
import { AUTOSCALING_XMLNS, renderError, renderResponse } from './query-xml.js';

export interface FakeAutoScalingOptions {
  /** Clock for heartbeat timeouts, cooldowns and launch times (default Date.now). */
  readonly clock?: () => number;
}

/** One request as the fake saw it. */
export interface RecordedRequest {
  readonly action: string;
  readonly params: Readonly<Record<string, string>>;
  readonly atMs: number;
  /** Whether the request carried a SigV4 Authorization header. */
  readonly signed: boolean;
  readonly statusCode: number;
  readonly errorCode: string | undefined;
}

const API_VERSION = '2011-01-01';

/**
 * An HTTP fake of the AWS Auto Scaling Query API on 127.0.0.1 (ephemeral port), for driving the
 * real `@aws-sdk/client-auto-scaling` client: point it at `endpoint` with static credentials.
 * State lives in `world` (groups, instances, warm pools, lifecycle hooks); faults are injected
 * with `throttle`, `failWith` and `delay`; every request is recorded in `requests`.
 */
export class FakeAutoScaling {
  readonly world: AutoScalingWorld;
  readonly requests: RecordedRequest[] = [];
  private readonly faults = new FaultPlan();
  private readonly server: Server;
  private readonly clock: () => number;
  private readonly timers = new Set<NodeJS.Timeout>();
  private requestSeq = 0;

  private constructor(options: FakeAutoScalingOptions) {
    this.clock = options.clock ?? Date.now;
    this.world = new AutoScalingWorld(this.clock);
    this.server = createServer((req, res) => this.onRequest(req, res));
  }

  static async start(options: FakeAutoScalingOptions = {}): Promise<FakeAutoScaling> {
    const fake = new FakeAutoScaling(options);
    await new Promise<void>((resolve, reject) => {
      fake.server.once('error', reject);
      fake.server.listen(0, '127.0.0.1', () => resolve());
    });
    return fake;
  }

  /** `http://127.0.0.1:PORT`, for the SDK's `endpoint`. */
  get endpoint(): string {
    const addr = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${addr.port}`;
  }

  /** The distinct actions requested so far. */
  actionsCalled(): Set<string> {
    return new Set(this.requests.map((r) => r.action));
  }

  /** Requests of one action. */
  requestsOf(action: string): RecordedRequest[] {
    return this.requests.filter((r) => r.action === action);
  }

  /** The next `times` matching requests get HTTP 400 `Throttling` ("Rate exceeded"). */
  throttle(times: number, action?: string): void {
    this.faults.add({ kind: 'throttle' }, times, action);
  }

  /** The next `times` matching requests get a server error (default 500 InternalFailure). */
  failWith(
    statusCode: number,
    times: number,
    action?: string,
    code = statusCode === 503 ? 'ServiceUnavailable' : 'InternalFailure',
  ): void {
    this.faults.add({ kind: 'server-error', statusCode, code }, times, action);
  }

  /** The next `times` matching requests get HTTP 200 with a truncated, unparsable body (state unchanged). */
  malformed(times: number, action?: string): void {
    this.faults.add({ kind: 'malformed' }, times, action);
  }

  /** The next `times` matching answers are held back `delayMs`. */
  delay(delayMs: number, times: number, action?: string): void {
    this.faults.add({ kind: 'delay', delayMs }, times, action);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const body = req.method === 'GET' ? url.search.slice(1) : Buffer.concat(chunks).toString('utf8');
      this.handle(body, typeof req.headers.authorization === 'string', res);
    });
  }

  private handle(body: string, signed: boolean, res: ServerResponse): void {
    const requestId = this.nextRequestId();
    const params = new QueryParams(body);
    const faults = this.faults.take(params.action);
    const { statusCode, errorCode, xml } = this.answer(params, faults, requestId);
    this.requests.push({
      action: params.action,
      params: params.entries(),
      atMs: this.clock(),
      signed,
      statusCode,
      errorCode,
    });
    const delayMs = faults.reduce((ms, f) => (f.kind === 'delay' ? ms + f.delayMs : ms), 0);
    const send = (): void => {
      if (res.destroyed) return;
      res.writeHead(statusCode, {
        'content-type': 'text/xml',
        'x-amzn-requestid': requestId,
        'content-length': Buffer.byteLength(xml),
      });
      res.end(xml);
    };
    if (delayMs <= 0) {
      send();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      send();
    }, delayMs);
    this.timers.add(timer);
  }

  private answer(
    params: QueryParams,
    faults: readonly Fault[],
    requestId: string,
  ): { statusCode: number; errorCode: string | undefined; xml: string } {
    const injected = faults.find((f) => f.kind !== 'delay');
    if (injected?.kind === 'malformed') {
      const root = `${params.action || 'Unknown'}Response`;
      return {
        statusCode: 200,
        errorCode: 'Malformed',
        xml: `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${AUTOSCALING_XMLNS}"><Auto`,
      };
    }
    try {
      if (injected?.kind === 'throttle') throw new AwsFault('Throttling', 'Rate exceeded', 400);
      if (injected?.kind === 'server-error')
        throw new AwsFault(
          injected.code,
          'An internal error has occurred (injected by the fake).',
          injected.statusCode,
        );
      if (params.version !== API_VERSION) {
        throw new AwsFault(
          'InvalidAction',
          `Could not find operation ${params.action} for version ${params.version || 'NO_VERSION_SPECIFIED'}`,
        );
      }
      const handler = Object.hasOwn(ACTION_HANDLERS, params.action) ? ACTION_HANDLERS[params.action] : undefined;
      if (!handler)
        throw new AwsFault(
          'InvalidAction',
          `The action ${params.action || '(none)'} is not valid for this web service.`,
        );
      return {
        statusCode: 200,
        errorCode: undefined,
        xml: renderResponse(params.action, handler(this.world, params), requestId),
      };
    } catch (err) {
      const fault = err instanceof AwsFault ? err : new AwsFault('InternalFailure', `fake: ${String(err)}`, 500);
      return {
        statusCode: fault.statusCode,
        errorCode: fault.code,
        xml: renderError(fault.type, fault.code, fault.message, requestId),
      };
    }
  }

  private nextRequestId(): string {
    this.requestSeq++;
    return `fa4e0000-0000-4000-8000-${this.requestSeq.toString(16).padStart(12, '0')}`;
  }
}

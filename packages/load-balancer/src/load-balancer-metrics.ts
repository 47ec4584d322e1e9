import { Counter, Gauge, Histogram } from 'prom-client';
import { DEFAULT_LATENCY_BUCKETS_S, createMetricsRegistry } from '@warmpool/telemetry';
import type { ByteBudget } from './byte-budget.js';
import type { DemandRecorder } from './demand-recorder.js';
import type { ReplicaPool } from './replica-pool.js';

/** Status codes that keep their own label value; any other is counted as its class (`2xx` ... `5xx`). */
const KNOWN_CODES = new Set([200, 201, 204, 400, 401, 403, 404, 405, 408, 409, 413, 422, 429, 500, 502, 503, 504]);

/** The `code` label of a status: bounded to KNOWN_CODES and five classes, whatever a replica answers. */
export function codeLabel(status: number): string {
  if (KNOWN_CODES.has(status)) return String(status);
  const cls = Math.floor(status / 100);
  return cls >= 1 && cls <= 5 ? `${cls}xx` : 'other';
}

/** Why the load balancer refused a request before routing it (a bounded label set). */
export type RefusalReason = 'unknown_model' | 'bad_request' | 'body_too_large' | 'overloaded' | 'unauthorized';

/**
 * The load balancer's metrics in one prom-client registry. Label sets are bounded by construction: `model` only
 * takes served models (ModelCatalog, at most maxModels), `replica` only registered replicas (at most maxReplicas;
 * gauges are rebuilt at each scrape so a replica gone is a series gone), `code` by codeLabel, `reason` by
 * RefusalReason. Rendering is prom-client's: cost proportional to those bounded sets.
 */
export class LoadBalancerMetrics {
  /** With prom-client's default process and Node.js metrics (createMetricsRegistry). */
  readonly registry = createMetricsRegistry();
  private readonly requests: Counter<'model' | 'code'>;
  private readonly duration: Histogram<'model'>;
  private readonly refused: Counter<'reason'>;

  constructor(
    pool: ReplicaPool,
    demand: DemandRecorder,
    budget: ByteBudget,
    nowMs: () => number,
    inFlight: () => number,
  ) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'warmpool_lb_requests_total',
      help: 'Requests for a served model, by HTTP status returned.',
      labelNames: ['model', 'code'],
      registers,
    });
    this.duration = new Histogram({
      name: 'warmpool_lb_request_duration_seconds',
      help: 'End-to-end latency through the load balancer.',
      labelNames: ['model'],
      buckets: DEFAULT_LATENCY_BUCKETS_S,
      registers,
    });
    this.refused = new Counter({
      name: 'warmpool_lb_refused_total',
      help: 'Requests refused before routing, by reason.',
      labelNames: ['reason'],
      registers,
    });
    new Gauge({
      name: 'warmpool_lb_replicas',
      help: 'Known replicas by model and state (removed: out of routing, still probed).',
      labelNames: ['model', 'state'],
      registers,
      collect() {
        this.reset();
        for (const r of pool.list()) {
          const state = r.draining
            ? 'draining'
            : r.removedAtMs !== undefined
              ? 'removed'
              : r.ready
                ? 'ready'
                : 'unready';
          this.inc({ model: r.model, state });
        }
      },
    });
    new Gauge({
      name: 'warmpool_lb_replica_outstanding',
      help: 'Requests in flight per replica.',
      labelNames: ['model', 'replica'],
      registers,
      collect() {
        this.reset();
        for (const r of pool.list()) this.set({ model: r.model, replica: r.id }, r.outstanding);
      },
    });
    new Gauge({
      name: 'warmpool_lb_replica_weight',
      help: 'Slow-start weight per replica (1 = full).',
      labelNames: ['model', 'replica'],
      registers,
      collect() {
        this.reset();
        for (const r of pool.list()) this.set({ model: r.model, replica: r.id }, pool.weight(r, nowMs()));
      },
    });
    new Gauge({
      name: 'warmpool_lb_demand_last_second',
      help: 'Requests in the last complete second per model.',
      labelNames: ['model'],
      registers,
      collect() {
        this.reset();
        for (const model of demand.modelNames())
          this.set({ model }, demand.series(model, nowMs() - 1000, 1).counts[0]!);
      },
    });
    new Gauge({
      name: 'warmpool_lb_buffered_bytes',
      help: 'Request body bytes held in memory now.',
      registers,
      collect() {
        this.set(budget.usedBytes);
      },
    });
    new Gauge({
      name: 'warmpool_lb_buffered_limit_bytes',
      help: 'Cap on request body bytes held in memory at once.',
      registers,
      collect() {
        this.set(budget.capBytes);
      },
    });
    new Gauge({
      name: 'warmpool_lb_in_flight_requests',
      help: 'Proxied requests in flight now.',
      registers,
      collect() {
        this.set(inFlight());
      },
    });
  }

  /** A request for a served model finished with `status` after `seconds`. */
  finished(model: string, status: number, seconds: number): void {
    this.requests.inc({ model, code: codeLabel(status) });
    this.duration.observe({ model }, seconds);
  }

  refusedFor(reason: RefusalReason): void {
    this.refused.inc({ reason });
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

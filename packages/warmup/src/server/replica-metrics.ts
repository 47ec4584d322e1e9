import { Counter, Gauge, Histogram } from 'prom-client';
import { DEFAULT_LATENCY_BUCKETS_S, createMetricsRegistry } from '@warmpool/telemetry';
import type { ModelReplica } from '../replica/model-replica.js';
import type { MemoryProbe } from '../warmup/memory-probe.js';

/** Help of the series read from the replicas at each scrape. */
const HELP = {
  warmpool_model_info: 'Model served by this replica; execution_provider is the one actually used.',
  warmpool_model_ready: '1 when warm-up converged (or policy allowed) and memory headroom was checked.',
  warmpool_model_load_seconds: 'Model file read and session creation time.',
  warmpool_model_optimized_cache_hit: '1 when a cached optimized model was loaded.',
  warmpool_warmup_seconds: 'Warm-up duration.',
  warmpool_warmup_converged: '1 when every shape converged.',
  warmpool_warmup_passes_total: 'Warm passes run during warm-up.',
  warmpool_warmup_first_pass_seconds: 'Latency of the first (cold) pass of each shape.',
  warmpool_warmup_steady_p50_seconds: 'Median latency of the last warm-up window of each shape.',
  warmpool_warmup_memory_peak_rss_ratio: 'Peak RSS after the largest shape over the memory limit.',
  warmpool_gpu_memory_used_bytes: 'Device memory used after the largest shape (device-wide, nvidia-smi).',
  warmpool_gpu_memory_total_bytes: 'Device memory total.',
  warmpool_request_shapes_tracked: 'Distinct request shapes recorded (bounded by maxShapes).',
  warmpool_request_shapes_untracked_total: 'Requests whose shape was not recorded because the shape map was full.',
  warmpool_first_time_shapes_total: 'Requests after ready with a shape neither warmed nor served before.',
  warmpool_keep_warm_passes_total: 'Light passes run while idle.',
  warmpool_inference_in_flight: 'Inferences running or queued.',
} as const;

/** Where the replica facts are read at each scrape. */
export interface ReplicaMetricsSource {
  replicas(): readonly ModelReplica[];
  /** Request body bytes held by the requests being read now. */
  bufferedBodyBytes(): number;
}

/**
 * The model server's metrics in one prom-client registry, with prom-client's default process and Node.js metrics:
 * request counters and latency per model (recorded as requests end), and the replicas' warm-up facts (read from
 * `source` at each scrape). Names in base units. Label sets are bounded: `model` by the served models, `code` by the
 * statuses the server answers, `shape` by the warm-up targets, the shape recorder's series by its `maxShapes`.
 */
export class ReplicaMetrics {
  readonly registry = createMetricsRegistry();
  private readonly requests: Counter<'model' | 'code'>;
  private readonly duration: Histogram<'model'>;

  constructor(source: ReplicaMetricsSource) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'warmpool_inference_requests_total',
      help: 'Inference requests by model and HTTP status.',
      labelNames: ['model', 'code'],
      registers,
    });
    this.duration = new Histogram({
      name: 'warmpool_inference_request_duration_seconds',
      help: 'Inference latency (session run) of successful requests.',
      labelNames: ['model'],
      buckets: DEFAULT_LATENCY_BUCKETS_S,
      registers,
    });
    /** A gauge (or counter) whose samples are read from the replicas at each scrape. */
    const collected = <L extends string>(
      type: 'gauge' | 'counter',
      name: keyof typeof HELP,
      labelNames: readonly L[],
      read: (r: ModelReplica, put: (labels: Record<L, string>, v: number) => void) => void,
    ): void => {
      const help = HELP[name];
      if (type === 'gauge') {
        new Gauge<L>({
          name,
          help,
          labelNames,
          registers,
          collect() {
            this.reset();
            for (const r of source.replicas()) read(r, (labels, v) => this.set(labels, v));
          },
        });
      } else {
        new Counter<L>({
          name,
          help,
          labelNames,
          registers,
          collect() {
            this.reset();
            for (const r of source.replicas()) read(r, (labels, v) => this.inc(labels, v));
          },
        });
      }
    };
    const ep = (r: ModelReplica): string => r.status().load?.executionProvider ?? 'none';
    collected('gauge', 'warmpool_model_info', ['model', 'execution_provider', 'phase'], (r, put) =>
      put({ model: r.name, execution_provider: ep(r), phase: r.status().phase }, 1),
    );
    collected('gauge', 'warmpool_model_ready', ['model', 'execution_provider'], (r, put) =>
      put({ model: r.name, execution_provider: ep(r) }, r.ready ? 1 : 0),
    );
    collected('gauge', 'warmpool_model_load_seconds', ['model', 'execution_provider'], (r, put) => {
      const load = r.status().load;
      if (load) put({ model: r.name, execution_provider: load.executionProvider }, load.loadMs / 1000);
    });
    collected('gauge', 'warmpool_model_optimized_cache_hit', ['model'], (r, put) => {
      const load = r.status().load;
      if (load) put({ model: r.name }, load.optimizedCacheHit ? 1 : 0);
    });
    collected('gauge', 'warmpool_warmup_seconds', ['model', 'execution_provider'], (r, put) => {
      const w = r.status().warmup;
      if (w) put({ model: r.name, execution_provider: ep(r) }, w.warmupMs / 1000);
    });
    collected('gauge', 'warmpool_warmup_converged', ['model'], (r, put) => {
      const w = r.status().warmup;
      if (w) put({ model: r.name }, w.converged ? 1 : 0);
    });
    collected('counter', 'warmpool_warmup_passes_total', ['model'], (r, put) => {
      const w = r.status().warmup;
      if (w) put({ model: r.name }, w.totalPasses);
    });
    collected('gauge', 'warmpool_warmup_first_pass_seconds', ['model', 'shape'], (r, put) => {
      for (const s of r.status().warmup?.shapes ?? []) put({ model: r.name, shape: s.label }, s.firstPassMs / 1000);
    });
    collected('gauge', 'warmpool_warmup_steady_p50_seconds', ['model', 'shape'], (r, put) => {
      for (const s of r.status().warmup?.shapes ?? []) put({ model: r.name, shape: s.label }, s.steadyP50Ms / 1000);
    });
    collected('gauge', 'warmpool_warmup_memory_peak_rss_ratio', ['model'], (r, put) => {
      const w = r.status().warmup;
      if (w) put({ model: r.name }, w.memory.usedFraction);
    });
    collected('gauge', 'warmpool_gpu_memory_used_bytes', ['model', 'device'], (r, put) => {
      const gpu = r.status().warmup?.memory.gpu;
      if (gpu) put({ model: r.name, device: String(gpu.device) }, gpu.usedBytes);
    });
    collected('gauge', 'warmpool_gpu_memory_total_bytes', ['model', 'device'], (r, put) => {
      const gpu = r.status().warmup?.memory.gpu;
      if (gpu) put({ model: r.name, device: String(gpu.device) }, gpu.totalBytes);
    });
    collected('gauge', 'warmpool_request_shapes_tracked', ['model'], (r, put) =>
      put({ model: r.name }, r.shapes.trackedShapes),
    );
    collected('counter', 'warmpool_request_shapes_untracked_total', ['model'], (r, put) =>
      put({ model: r.name }, r.shapes.untrackedRequests),
    );
    collected('counter', 'warmpool_first_time_shapes_total', ['model'], (r, put) =>
      put({ model: r.name }, r.shapes.firstTimeShapesAfterReady),
    );
    new Histogram({
      name: 'warmpool_first_time_shape_duration_seconds',
      help: 'Inference latency of first-time shapes after ready.',
      labelNames: ['model'],
      buckets: DEFAULT_LATENCY_BUCKETS_S,
      registers,
      collect() {
        // at most maxShapes latencies per replica (a first-time shape is a newly recorded one)
        this.reset();
        for (const r of source.replicas()) {
          this.zero({ model: r.name });
          for (const s of r.shapes.firstTimeLatenciesS) this.observe({ model: r.name }, s);
        }
      },
    });
    collected('counter', 'warmpool_keep_warm_passes_total', ['model'], (r, put) =>
      put({ model: r.name }, r.status().keepWarmPasses),
    );
    collected('gauge', 'warmpool_inference_in_flight', ['model'], (r, put) =>
      put({ model: r.name }, r.limiter.running + r.limiter.queued),
    );
    // process_resident_memory_bytes is prom-client's (default metrics); the peak, limit and headroom are the probe's
    const probe = (): MemoryProbe | undefined => source.replicas()[0]?.memoryProbe;
    new Gauge({
      name: 'warmpool_process_peak_resident_memory_bytes',
      help: 'Peak resident set size.',
      registers,
      collect() {
        const p = probe();
        if (p) this.set(p.peakRssBytes());
      },
    });
    new Gauge({
      name: 'warmpool_memory_limit_bytes',
      help: 'Memory limit the headroom is checked against.',
      labelNames: ['source'],
      registers,
      collect() {
        this.reset();
        const p = probe();
        if (p) this.set({ source: p.limitSource() }, p.limitBytes());
      },
    });
    new Gauge({
      name: 'warmpool_memory_headroom_bytes',
      help: 'Limit minus resident set size now.',
      registers,
      collect() {
        const p = probe();
        if (p) this.set(p.limitBytes() - p.rssBytes());
      },
    });
    new Gauge({
      name: 'warmpool_request_body_buffered_bytes',
      help: 'Request body bytes held by the requests being read (capped by maxBufferedBodyBytes).',
      registers,
      collect() {
        this.set(source.bufferedBodyBytes());
      },
    });
  }

  recordRequest(model: string, code: number, seconds: number | undefined): void {
    this.requests.inc({ model, code: String(code) });
    if (seconds !== undefined && Number.isFinite(seconds) && seconds >= 0) this.duration.observe({ model }, seconds);
  }

  /** Prometheus text exposition of everything. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

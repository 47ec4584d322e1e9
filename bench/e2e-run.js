// One policy's end-to-end run, as a thin wrapper around the local world (services/autoscaler/src/world/local-world.ts,
// the composition `npm start` runs): load balancer on 127.0.0.1, replicas as real `warmpool-agent serve` processes
// (process start, model load, warm-up; a provisioning delay before each stands in for GPU node start; one inference
// at a time), the daemon deciding with `predictive` (ModelPlanner) or a baseline (`hpa` / `kpa` through
// LivePolicyDriver), and the trace replayed as HTTP requests. This file only maps the bench's options onto
// LocalWorldOptions and LocalWorld's result onto the bench's result row and plot timeline. Everything the world starts
// is closed before it returns.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { LoadBalancerServer } from '@warmpool/load-balancer';
import { LocalWorld } from '../services/autoscaler/dist/world/local-world.js';
import { worldTimeline } from '../services/autoscaler/dist/world/world-timeline.js';
import { isOk } from '@warmpool/loadgen';
import { alive } from './bench-support.js';

const MODEL = 'bench-model';

/** A stdout that drops the daemon's decision log and the world's replica lines (the world keeps the records itself). */
const quiet = () => new Writable({ write: (_c, _e, cb) => cb() });

/**
 * Starts a load balancer and writes a warm-up spec for `o.shapes`, for the capacity calibration (one replica,
 * driven directly); `lb.close()` ends it.
 */
export async function startPool(o, runDir) {
  const token = randomBytes(16).toString('hex');
  const registeredAt = new Map();
  const lb = new LoadBalancerServer({
    token,
    pool: { slowStartMs: 0 },
    health: { intervalMs: 500 },
    log: (e) => {
      if (e.event === 'replica-registered' && typeof e.replicaId === 'string' && !registeredAt.has(e.replicaId))
        registeredAt.set(e.replicaId, Date.now());
    },
  });
  const { url: lbUrl } = await lb.listen();
  const specFile = join(runDir, 'warmup-spec.json');
  writeFileSync(
    specFile,
    JSON.stringify({ shapes: o.shapes, windowSize: 3, tolerance: 0.5, keepWarmIdleS: 0, budgetS: 30 }),
  );
  return { token, lbUrl, lb, registeredAt, specFile };
}

/**
 * Runs one policy on the trace; returns the per-policy result and a per-second timeline for the plot.
 * `o`: { tracePath, policy, speedX, replayFromS, durationS, historyS, peakPerS, capacityPerReplicaPerS,
 *        latencyTargetP95Ms, maxReplicas, provisionDelayMs, stepS, horizonS, seed, shapes, modelSource,
 *        startupS (measured process start + load + warm-up: the daemon's first lead-time guess),
 *        serviceMs (optional: each inference holds its replica's slot at least this long) }
 */
export async function runPolicy(o, progress = () => undefined) {
  // The load generator, the load balancer and the daemon share this process's event loop: how long it stalled says
  // how much of the latency is this process rather than the replicas.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const world = await LocalWorld.start(
    {
      tracePath: o.tracePath,
      policy: o.policy,
      speedX: o.speedX,
      replayFromS: o.replayFromS,
      durationS: o.durationS,
      historyS: o.historyS,
      peakPerS: o.peakPerS,
      model: MODEL,
      modelSource: o.modelSource,
      shapes: o.shapes,
      capacityPerReplicaPerS: o.capacityPerReplicaPerS,
      latencyTargetP95Ms: o.latencyTargetP95Ms,
      maxReplicas: o.maxReplicas,
      // Every policy starts warm with what the last 30 s of history needed (the world's rule) and keeps one.
      minWarmReplicas: 1,
      initialReplicas: 0,
      provisionDelayMs: o.provisionDelayMs,
      startupS: o.startupS,
      tickS: 1,
      stepS: o.stepS,
      horizonS: o.horizonS,
      upperQuantile: o.upperQuantile,
      ...(o.upperQuantileMax !== undefined ? { upperQuantileMax: o.upperQuantileMax } : {}),
      ...(o.releaseQuantile !== undefined ? { releaseQuantile: o.releaseQuantile } : {}),
      // The spec's default scale-down stabilization (30 s) in this world's time.
      scaleDownStabilizationS: Math.max(2, Math.round(30 / (o.timeScale ?? 1))),
      policyTimeScale: o.timeScale ?? 1,
      seed: o.seed,
      // One inference at a time per replica, a deep queue: latency shows the queueing, not 503s.
      replicaMaxConcurrency: 1,
      replicaMaxQueue: 64,
      minServiceMs: o.serviceMs ?? 0,
      warmupBudgetS: 30,
      // The load is open-loop: enough sockets that it is never the bottleneck; a request over 10 s counts as failed.
      loadMaxConcurrency: 512,
      requestTimeoutMs: 10_000,
      spikeWindowS: 10,
      // A free port for the dashboard, nothing on stdout.
      httpPort: 0,
      format: 'json',
    },
    // Stalls while the first replicas start do not count: only the replay's.
    { stdout: quiet(), onReplayStart: () => loopDelay.reset() },
  ).catch((err) => {
    loopDelay.disable();
    throw err;
  });
  progress(`${o.policy}: starting ${world.initialReplicas} replica(s) warm, then replaying ${o.durationS} s`);
  const r = await world.finished;
  loopDelay.disable();
  const s = r.load.summary;
  const result = {
    policy: o.policy,
    requests: s.requests,
    failed: s.errors,
    // What the failed requests got: an HTTP status or the network error (a drained replica, a full queue, a timeout).
    failures: failureKinds(r.load.records),
    slaViolations: s.slaViolations,
    p50Ms: s.p50Ms,
    p95Ms: s.p95Ms,
    p99Ms: s.p99Ms,
    spikeWindows: s.spikeWindows,
    windows: s.windows.length,
    coldHits: r.summary.coldHits,
    replicaSeconds: r.summary.replicaSeconds,
    replicasStarted: r.summary.replicasStarted,
    scaleUps: r.summary.scaleUps,
    // The daemon's own lead-time estimate (the predictive planner's; the baselines keep none: null) ...
    measuredLeadTimeS: r.summary.measuredLeadTimeS,
    // ... and, for every policy, what the replicas took from being asked for to serving: { count, p50, max } seconds.
    replicaReadyS: r.summary.replicaReadyS,
    processesLeft: r.replicaPids.filter(alive),
    // The machine's 1-min load average at the replay's start and end (other work on the host skews latency).
    loadAvg1m: [Number(r.loadAvg1m.atStart.toFixed(2)), Number(r.loadAvg1m.atEnd.toFixed(2))],
    // This process's event-loop stalls over the replay, ms (p99, max).
    eventLoopDelayMs: [Number((loopDelay.percentile(99) / 1e6).toFixed(1)), Number((loopDelay.max / 1e6).toFixed(1))],
  };
  // Per request, for diagnosis (`--timelines`): ms after the replay's start it was due and sent, its latency, status
  // and the replica that served it.
  const requests = r.load.records.map((rec) => [
    rec.scheduledAtMs - r.replayStartMs,
    rec.sentAtMs - r.replayStartMs,
    Math.round(rec.latencyMs * 10) / 10,
    rec.status,
    rec.replicaId ?? null,
  ]);
  return { result, timeline: worldTimeline(r.load.records, r.decisions, r.replayStartMs, o.durationS), requests };
}

function failureKinds(records) {
  const kinds = {};
  for (const rec of records) {
    if (isOk(rec)) continue;
    const kind = rec.status > 0 ? `HTTP ${rec.status}` : (rec.error ?? 'network error');
    kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  return kinds;
}

import { randomUUID } from 'node:crypto';
import type { Registrar, ReplicaRegistration } from '@warmpool/domain';
import {
  ModelServer,
  ShapeRecordingSync,
  type ReplicaStatus,
  type SessionConfig,
  type ShapeStore,
  type WarmTarget,
  type WarmupSpec,
} from '@warmpool/warmup';
import { GatedReplica } from './gated-replica.js';
import { HeartbeatLoop } from './heartbeat-loop.js';
import { describeRegistrarFailure } from './registrar-failure.js';

export interface ReplicaAgentOptions {
  readonly name: string;
  readonly modelPath: string;
  readonly session: SessionConfig;
  readonly spec: WarmupSpec;
  readonly host: string;
  readonly port: number;
  readonly maxConcurrency: number;
  readonly maxQueue: number;
  /** Minimum time each inference holds its slot (accelerator stand-in; see ModelReplicaOptions). Default 0. */
  readonly minServiceMs?: number;
  /** Model server limits (defaults: 16 MiB body, 16 MiB output, 30 s per request; see ModelServerOptions). */
  readonly maxBodyBytes?: number;
  readonly maxOutputBytes?: number;
  readonly requestTimeoutMs?: number;
  /** Requests may have at most this many times the elements of the largest warmed tensor (default 4; 0: no limit). */
  readonly inputLimitFactor?: number;
  /**
   * Warm requests over the agent's own HTTP endpoint per warm target and encoding before ready (default 2; 0: no HTTP
   * warm), followed by requests until each one's latency converged, within what is left of the spec's budget.
   */
  readonly httpWarmRounds?: number;
  /**
   * Where served request shapes are recorded (`--shapes-file` / `--shapes-redis`): loaded before warm-up (the shapes
   * earlier replicas served are warmed too) and saved every `shapesSaveMs` (default 30 s) and on shutdown. A store that
   * cannot be read at start is logged and warm-up goes on with the spec's shapes.
   */
  readonly shapeStore?: ShapeStore;
  readonly shapesSaveMs?: number;
  /** Absent: serve without registering anywhere. */
  readonly registrar: Registrar | undefined;
  /**
   * When `/readyz` turns 200: `warm` as soon as warm-up converged (the local load balancer probes
   * /readyz before it accepts a registration), `registered` only once the registrar confirmed
   * (Kubernetes: the pod is labelled warm; AWS: the lifecycle action is completed). Default `warm`.
   */
  readonly readyWhen?: 'warm' | 'registered';
  readonly replicaId?: string;
  /** Heartbeat period while loading and warming (lifecycle hooks). Default 10 000 ms. */
  readonly heartbeatMs?: number;
  readonly log: (event: Record<string, unknown>) => void;
}

/** `stage`: whether warm-up (exit 1) or the registrar (exit 3) failed. */
export type AgentOutcome =
  | { ok: true; registration: ReplicaRegistration }
  | { ok: false; stage: 'warmup' | 'registration'; code: string; reason: string };

/**
 * One replica process: HTTP server up first (probes answer during warm-up), heartbeats to the
 * registrar while loading and warming, then register — only when ready. A registrar failure
 * (during heartbeats or registration) keeps /readyz at 503 with the reason for good.
 * `shutdown()` deregisters (the load balancer drains / the pod is annotated draining), drains
 * in-flight inferences and closes.
 */
export class ReplicaAgent {
  readonly replica: GatedReplica;
  readonly server: ModelServer;
  private registration: ReplicaRegistration | undefined;
  private registered = false;
  private starting: Promise<ReplicaStatus> | undefined;
  private run: Promise<AgentOutcome> | undefined;
  private stopping = false;
  private heartbeat: HeartbeatLoop | undefined;
  private shapeSync: ShapeRecordingSync | undefined;
  /** Recorded shapes loaded from the store at start (filled before warm-up runs; the replica holds this array). */
  private readonly recordedShapes: Array<Record<string, number[]>> = [];
  url = '';
  /** The id this replica registers with; its health answers carry it. */
  readonly replicaId: string;

  constructor(private readonly opts: ReplicaAgentOptions) {
    this.replicaId = opts.replicaId ?? `${opts.name}-${randomUUID().slice(0, 8)}`;
    this.replica = new GatedReplica({
      name: opts.name,
      modelPath: opts.modelPath,
      session: opts.session,
      spec: opts.spec,
      maxConcurrency: opts.maxConcurrency,
      maxQueue: opts.maxQueue,
      minServiceMs: opts.minServiceMs ?? 0,
      inputLimitFactor: opts.inputLimitFactor,
      recordedShapes: opts.shapeStore ? this.recordedShapes : undefined,
      // Before /readyz turns 200: the request path (HTTP, parsing, tensor conversion, serialization) is warmed too.
      beforeReady:
        (opts.httpWarmRounds ?? 2) > 0
          ? (targets, budgetLeftMs) => this.warmRequestPath(targets, budgetLeftMs)
          : undefined,
    });
    this.server = new ModelServer({
      replicas: [this.replica],
      host: opts.host,
      port: opts.port,
      maxBodyBytes: opts.maxBodyBytes,
      maxOutputBytes: opts.maxOutputBytes,
      requestTimeoutMs: opts.requestTimeoutMs,
      replicaId: this.replicaId,
    });
  }

  private async warmRequestPath(targets: readonly WarmTarget[], budgetLeftMs: number): Promise<void> {
    const t0 = performance.now();
    // The fixed rounds, then until each (target, encoding)'s latency over HTTP converged, within what is left of the budget.
    const report = await this.server.warmRequestPath(this.opts.name, targets, this.opts.httpWarmRounds ?? 2, {
      spec: this.opts.spec,
      budgetMs: budgetLeftMs,
    });
    const tail = report.latenciesMs.slice(-Math.max(1, targets.length * 3));
    const skipped = report.encodings.flatMap((e) =>
      e.skipped.map((k) => ({ encoding: e.encoding, target: k.target, reason: k.reason })),
    );
    this.opts.log({
      event: 'request-path-warmed',
      requests: report.requests,
      ms: Math.round(performance.now() - t0),
      firstMs: Math.round((report.latenciesMs[0] ?? 0) * 1000) / 1000,
      lastRoundMaxMs: Math.round(Math.max(0, ...tail) * 1000) / 1000,
      converged: report.converged,
      // Encodings a client could not use for an input set (FP16 in v2 JSON, a body over max-body-bytes) are skipped.
      warmedEncodings: report.encodings.filter((e) => e.warmed.length > 0).map((e) => e.encoding),
      ...(skipped.length > 0 ? { skipped: skipped.slice(0, 10), skippedCount: skipped.length } : {}),
      ...(report.unconverged && report.unconverged.length > 0 ? { unconverged: report.unconverged.slice(0, 5) } : {}),
    });
  }

  private async loadShapes(store: ShapeStore): Promise<void> {
    try {
      this.recordedShapes.push(...(await store.load()));
      this.opts.log({ event: 'shapes-loaded', shapes: this.recordedShapes.length });
    } catch (e) {
      this.opts.log({
        event: 'shapes-load-failed',
        reason: e instanceof Error ? e.message : String(e),
        detail: 'warming the spec shapes only',
      });
    }
    this.shapeSync = new ShapeRecordingSync({
      recorder: this.replica.shapes,
      store,
      intervalMs: this.opts.shapesSaveMs,
      onError: (e) =>
        this.opts.log({ event: 'shapes-save-failed', reason: e instanceof Error ? e.message : String(e) }),
    });
    this.shapeSync.start();
  }

  /** Heartbeats sent successfully so far. */
  get heartbeats(): number {
    return this.heartbeat?.beats ?? 0;
  }

  /** Loads, warms and registers. Never throws for warm-up or registrar failures: see the outcome. */
  start(): Promise<AgentOutcome> {
    this.run ??= this.startOnce();
    return this.run;
  }

  private async startOnce(): Promise<AgentOutcome> {
    const registrar = this.opts.registrar;
    if (registrar && this.opts.readyWhen === 'registered')
      this.replica.holdUntilOpened(`warm; registering with ${registrar.name}`);
    const { url } = await this.server.listen();
    this.url = url;
    const replicaId = this.replicaId;
    this.opts.log({ event: 'listening', url, model: this.opts.name, replicaId, registrar: registrar?.name ?? 'none' });
    const pending: ReplicaRegistration = { replicaId, model: this.opts.name, url, executionProvider: 'pending' };
    this.registration = pending;

    if (this.opts.shapeStore) await this.loadShapes(this.opts.shapeStore);
    const starting = this.replica.start();
    this.starting = starting;
    let status: ReplicaStatus;
    if (registrar) {
      const heartbeat = new HeartbeatLoop({
        registrar,
        registration: pending,
        intervalMs: this.opts.heartbeatMs ?? 10_000,
        onFailure: (f) =>
          this.opts.log({
            event: 'heartbeat-failed',
            registrar: registrar.name,
            error: f.code,
            transient: f.transient,
            reason: f.message,
          }),
      });
      this.heartbeat = heartbeat;
      heartbeat.start();
      const first = await Promise.race([
        starting.then((s) => ({ status: s })),
        heartbeat.fatal.then((f) => ({ fatal: f })),
      ]);
      await heartbeat.stop();
      if ('fatal' in first) {
        const reason = `${registrar.name} registrar: ${first.fatal.message}`;
        this.replica.failWith(first.fatal.code, reason);
        this.opts.log({
          event: 'registration-failed',
          registrar: registrar.name,
          stage: 'heartbeat',
          error: first.fatal.code,
          reason,
        });
        return { ok: false, stage: 'registration', code: first.fatal.code, reason };
      }
      status = first.status;
    } else {
      status = await starting;
    }

    const reg: ReplicaRegistration = { ...pending, executionProvider: status.load?.executionProvider ?? 'none' };
    this.registration = reg;
    this.opts.log({
      event: 'warmup-finished',
      phase: status.phase,
      reason: status.reason,
      executionProvider: reg.executionProvider,
      // once per start: the providers tried before it and why each was passed over (e.g. no CUDA library installed)
      providerFallbacks: status.load?.fallbacks,
      loadMs: status.load?.loadMs,
      warmupMs: status.warmup?.warmupMs,
      converged: status.warmup?.converged,
      heartbeats: this.heartbeats,
    });
    if (status.phase !== 'ready') {
      const reason = status.reason ?? status.phase;
      if (registrar) {
        try {
          await registrar.fail(reg, reason);
          this.opts.log({ event: 'registrar-failed-replica', registrar: registrar.name, replicaId, reason });
        } catch (e) {
          const f = describeRegistrarFailure(e);
          this.opts.log({
            event: 'registrar-fail-failed',
            registrar: registrar.name,
            error: f.code,
            reason: f.message,
          });
        }
      }
      return { ok: false, stage: 'warmup', code: status.errorCode ?? 'E_NOT_READY', reason };
    }
    if (this.stopping) return { ok: false, stage: 'warmup', code: 'E_STOPPED', reason: 'shut down before registering' };
    if (registrar) {
      try {
        await registrar.register(reg);
      } catch (e) {
        const f = describeRegistrarFailure(e);
        const reason = `${registrar.name} registrar: ${f.message}`;
        this.replica.failWith(f.code, reason);
        this.opts.log({
          event: 'registration-failed',
          registrar: registrar.name,
          stage: 'register',
          error: f.code,
          reason,
        });
        return { ok: false, stage: 'registration', code: f.code, reason };
      }
      this.registered = true;
      this.replica.open();
      this.opts.log({ event: 'registered', registrar: registrar.name, replicaId });
    }
    return { ok: true, registration: reg };
  }

  /** Deregisters (when registered), drains and closes; waits for a warm-up still running first. */
  async shutdown(): Promise<void> {
    this.stopping = true;
    await this.heartbeat?.stop();
    // Never release the session under a running warm-up, nor deregister before a register finished.
    if (this.run) await this.run.catch(() => undefined);
    if (this.starting) await this.starting;
    if (this.registered && this.registration && this.opts.registrar) {
      this.registered = false;
      try {
        await this.opts.registrar.deregister(this.registration);
        this.opts.log({
          event: 'deregistered',
          registrar: this.opts.registrar.name,
          replicaId: this.registration.replicaId,
        });
      } catch (e) {
        const f = describeRegistrarFailure(e);
        this.opts.log({
          event: 'deregister-failed',
          registrar: this.opts.registrar.name,
          error: f.code,
          reason: f.message,
        });
      }
    }
    await this.replica.drain();
    await this.shapeSync?.stop(); // the last save: what this replica served, for the next one
    await this.server.close();
    await this.replica.close();
  }
}

import { randomUUID } from 'node:crypto';
import type { Registrar, ReplicaRegistration } from '@warmpool/domain';
import { ModelReplica, ModelServer, type SessionConfig, type WarmupSpec } from '@warmpool/warmup';

export interface ReplicaAgentOptions {
  readonly name: string;
  readonly modelPath: string;
  readonly session: SessionConfig;
  readonly spec: WarmupSpec;
  readonly host: string;
  readonly port: number;
  readonly maxConcurrency: number;
  readonly maxQueue: number;
  /** Absent: serve without registering anywhere. */
  readonly registrar: Registrar | undefined;
  readonly replicaId?: string;
  /** Heartbeat period while warming (lifecycle hooks). */
  readonly heartbeatMs?: number;
  readonly log: (event: Record<string, unknown>) => void;
}

export type AgentOutcome = { ok: true; registration: ReplicaRegistration } | { ok: false; code: string; reason: string };

/**
 * One replica process: HTTP server up first (probes answer during warm-up), then load + warm,
 * then register — only when ready. `shutdown()` deregisters (the load balancer drains), drains
 * in-flight inferences and closes.
 */
export class ReplicaAgent {
  readonly replica: ModelReplica;
  readonly server: ModelServer;
  private registration: ReplicaRegistration | undefined;
  private registered = false;
  url = '';

  constructor(private readonly opts: ReplicaAgentOptions) {
    this.replica = new ModelReplica({
      name: opts.name,
      modelPath: opts.modelPath,
      session: opts.session,
      spec: opts.spec,
      maxConcurrency: opts.maxConcurrency,
      maxQueue: opts.maxQueue,
    });
    this.server = new ModelServer({ replicas: [this.replica], host: opts.host, port: opts.port });
  }

  async start(): Promise<AgentOutcome> {
    const { url } = await this.server.listen();
    this.url = url;
    const replicaId = this.opts.replicaId ?? `${this.opts.name}-${randomUUID().slice(0, 8)}`;
    this.opts.log({ event: 'listening', url, model: this.opts.name, replicaId });
    const pending: ReplicaRegistration = { replicaId, model: this.opts.name, url, executionProvider: 'pending' };
    const registrar = this.opts.registrar;
    const beat = registrar
      ? setInterval(() => registrar.heartbeat(pending).catch((e: unknown) => this.opts.log({ event: 'heartbeat-failed', error: String(e) })), this.opts.heartbeatMs ?? 10_000)
      : undefined;
    beat?.unref();
    let status;
    try {
      status = await this.replica.start();
    } finally {
      if (beat) clearInterval(beat);
    }
    const reg: ReplicaRegistration = { ...pending, executionProvider: status.load?.executionProvider ?? 'none' };
    this.registration = reg;
    this.opts.log({
      event: 'warmup-finished',
      phase: status.phase,
      reason: status.reason,
      executionProvider: reg.executionProvider,
      loadMs: status.load?.loadMs,
      warmupMs: status.warmup?.warmupMs,
      converged: status.warmup?.converged,
    });
    if (status.phase !== 'ready') {
      const reason = status.reason ?? status.phase;
      if (registrar) await registrar.fail(reg, reason).catch((e: unknown) => this.opts.log({ event: 'registrar-fail-failed', error: String(e) }));
      return { ok: false, code: status.errorCode ?? 'E_NOT_READY', reason };
    }
    if (registrar) {
      try {
        await registrar.register(reg);
        this.registered = true;
        this.opts.log({ event: 'registered', registrar: registrar.name, replicaId });
      } catch (e) {
        const code = (e as { code?: string }).code ?? 'E_REGISTER';
        return { ok: false, code, reason: e instanceof Error ? e.message : String(e) };
      }
    }
    return { ok: true, registration: reg };
  }

  async shutdown(): Promise<void> {
    if (this.registered && this.registration && this.opts.registrar) {
      try {
        await this.opts.registrar.deregister(this.registration);
        this.opts.log({ event: 'deregistered', replicaId: this.registration.replicaId });
      } catch (e) {
        this.opts.log({ event: 'deregister-failed', error: e instanceof Error ? e.message : String(e) });
      }
      this.registered = false;
    }
    await this.replica.drain();
    await this.server.close();
    await this.replica.close();
  }
}

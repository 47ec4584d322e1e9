import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  ValidationError,
  type ReplicaProvider,
  type ReplicaSetState,
  type ScaleRequest,
  type WarmTier,
} from '@warmpool/domain';
import { LocalProviderError } from './errors/local-provider-error.js';
import type { LocalReplicaInfo } from './local-replica-info.js';
import {
  resolveLocalProviderOptions,
  type LocalProcessProviderOptions,
  type ResolvedTemplate,
} from './local-provider-options.js';
import { PortAllocator } from './port-allocator.js';
import { ReplicaProcess, type ReplicaProcessDeps } from './replica-process.js';
import { ReplicaReaper } from './replica-reaper.js';
import { isReplicaProcess, pidAlive, ReplicaStateFile, type ReplicaStateEntry } from './replica-state-file.js';

/** What the provider found in its state file on start. */
export interface ReclaimReport {
  /** Replicas a dead owner left running, ended now (SIGTERM, SIGKILL after the drain timeout). */
  readonly ended: readonly ReplicaStateEntry[];
  /** Replicas of another live provider sharing the run folder: left alone. */
  readonly othersLive: readonly ReplicaStateEntry[];
}

/** Keys remembered per model for idempotency (oldest forgotten first). */
const MAX_REMEMBERED_KEYS = 10_000;
/** Standbys of a model that may fail in a row before the provider stops starting more (until its tier changes). */
const MAX_STANDBY_FAILURES = 3;

interface Pool {
  readonly template: ResolvedTemplate;
  readonly deps: ReplicaProcessDeps;
  desired: number;
  replicas: ReplicaProcess[];
  readonly appliedKeys: Set<string>;
  /** The warmth tier the daemon set (setWarmTier); `host` keeps standbys. */
  tier: WarmTier | undefined;
  /** Host-tier standbys: agents that loaded and warmed the model and wait unregistered (not in `replicas`). */
  standbys: ReplicaProcess[];
  /** Standbys that ended on their own in a row (a broken model must not loop). */
  standbyFailures: number;
}

export interface LocalModelState extends ReplicaSetState {
  readonly replicas: readonly LocalReplicaInfo[];
  /** Host-tier standbys (not registered, not capacity: neither in `replicas` nor in `desired`). */
  readonly standbys: readonly LocalReplicaInfo[];
  /** The warmth tier last set for the model (setWarmTier), if any. */
  readonly tier?: WarmTier;
}

/**
 * The local world's ReplicaProvider: each replica is a `warmpool-agent serve` child process on
 * this machine that registers with the local load balancer once warm. `scale` starts replicas
 * (after the template's provisioning delay) or stops them (newest not-ready first, then newest
 * ready; SIGTERM, SIGKILL after the drain timeout); a key is applied once. A crashed replica is
 * reported as `failed` with its reason and replaced by the next scale; a scale's `replace` list also
 * ends live replicas the daemon counts as failed (stuck in warm-up). `close` stops everything.
 */
export class LocalProcessProvider implements ReplicaProvider {
  readonly name = 'local';
  private readonly pools = new Map<string, Pool>();
  private readonly stopping = new Set<Promise<void>>();
  private readonly tag = randomBytes(3).toString('hex');
  private counter = 0;
  /** Creation order (requestedAtMs can tie within a millisecond). */
  private readonly order = new WeakMap<ReplicaProcess, number>();
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly stateFile: ReplicaStateFile | undefined;
  private readonly reaper: ReplicaReaper | undefined;
  /** What the start found in the state file. */
  readonly reclaimed: ReclaimReport;

  private readonly killAll = (): void => {
    for (const p of this.pools.values()) for (const r of [...p.replicas, ...p.standbys]) r.killNow();
  };

  constructor(options: LocalProcessProviderOptions) {
    const templates = resolveLocalProviderOptions(options);
    try {
      mkdirSync(options.runDir, { recursive: true });
    } catch (e) {
      throw new LocalProviderError(
        'E_RUN_DIR',
        `cannot create run directory ${options.runDir}: ${(e as Error).message}`,
        { cause: e },
      );
    }
    const log = options.log ?? (() => {});
    const nowMs = options.nowMs ?? Date.now;
    this.stateFile =
      options.stateFile === false
        ? undefined
        : new ReplicaStateFile(options.stateFile ?? join(options.runDir, 'replicas.json'));
    this.reclaimed = this.reclaim(templates, log, nowMs);
    // The watchdog is a Node program: this process's own executable, whatever runs the agents (`nodePath`).
    this.reaper =
      options.reaper === false
        ? undefined
        : new ReplicaReaper(
            process.execPath,
            Math.max(...[...templates.values()].map((t) => t.drainTimeoutMs)),
            (message) => log({ event: 'watchdog-error', message, atMs: nowMs() }),
          );
    const onSpawned = (replicaId: string, pid: number, port: number): void => {
      this.reaper?.track(pid, replicaId);
      this.stateFile?.add({
        replicaId,
        model: replicaId.slice(0, replicaId.lastIndexOf(`-${this.tag}-`)),
        pid,
        port,
        startedAtMs: nowMs(),
        ownerPid: process.pid,
      });
    };
    const onEnded = (replicaId: string, pid: number | undefined): void => {
      if (pid !== undefined) this.reaper?.untrack(pid);
      this.stateFile?.remove(replicaId);
    };
    for (const template of templates.values()) {
      const deps: ReplicaProcessDeps = {
        onSpawned,
        onEnded,
        agentBinPath: options.agentBinPath,
        nodePath: options.nodePath ?? process.execPath,
        runDir: options.runDir,
        env: options.env ?? {},
        probeIntervalMs: options.probeIntervalMs ?? 100,
        probeTimeoutMs: options.probeTimeoutMs ?? 1_000,
        nowMs: options.nowMs ?? Date.now,
        log: options.log ?? (() => {}),
        ports: template.portRange ? new PortAllocator(template.portRange, template.model) : undefined,
      };
      this.pools.set(template.model, {
        template,
        deps,
        desired: 0,
        replicas: [],
        appliedKeys: new Set(),
        tier: undefined,
        standbys: [],
        standbyFailures: 0,
      });
    }
    if (options.killOnExit ?? true) process.on('exit', this.killAll);
  }

  /**
   * Reads the state file left by an earlier provider on this run folder: replicas whose owner process is gone (the
   * daemon was killed) and that still run are ended (SIGTERM now, SIGKILL after the drain timeout); a live owner's
   * replicas (another daemon on the same folder) are left alone and kept in the file.
   */
  private reclaim(
    templates: ReadonlyMap<string, ResolvedTemplate>,
    log: (e: Record<string, unknown>) => void,
    nowMs: () => number,
  ): ReclaimReport {
    const ended: ReplicaStateEntry[] = [];
    const othersLive: ReplicaStateEntry[] = [];
    if (!this.stateFile) return { ended, othersLive };
    for (const e of this.stateFile.read()) {
      if (e.ownerPid !== process.pid && pidAlive(e.ownerPid)) {
        othersLive.push(e);
        continue;
      }
      if (!isReplicaProcess(e.pid, e.replicaId)) continue;
      ended.push(e);
      log({
        event: 'orphan-ended',
        replicaId: e.replicaId,
        model: e.model,
        pid: e.pid,
        port: e.port,
        ownerPid: e.ownerPid,
        atMs: nowMs(),
        reason: `left running by process ${e.ownerPid}, which is gone`,
      });
      try {
        process.kill(e.pid, 'SIGTERM');
      } catch {
        continue;
      }
      const graceMs = templates.get(e.model)?.drainTimeoutMs ?? 10_000;
      setTimeout(() => {
        if (isReplicaProcess(e.pid, e.replicaId)) {
          try {
            process.kill(e.pid, 'SIGKILL');
          } catch {
            // gone meanwhile
          }
        }
      }, graceMs).unref();
    }
    this.stateFile.flush();
    return { ended, othersLive };
  }

  private pool(model: string): Pool {
    if (this.closed) throw new LocalProviderError('E_PROVIDER_CLOSED', `local provider is closed (model "${model}")`);
    const p = this.pools.get(model);
    if (!p)
      throw new LocalProviderError(
        'E_UNKNOWN_MODEL',
        `no replica template for model "${model}" (configured: ${[...this.pools.keys()].join(', ')})`,
      );
    return p;
  }

  async getState(model: string): Promise<LocalModelState> {
    const p = this.pool(model);
    return {
      model,
      desired: p.desired,
      replicas: p.replicas.map((r) => r.info()),
      standbys: p.standbys.map((r) => r.info()),
      ...(p.tier !== undefined ? { tier: p.tier } : {}),
    };
  }

  /**
   * Warmth tiers that act on the local provider (the daemon calls it when the fleet planner's tier for a model
   * changes): `host` keeps the template's `standbyReplicas` standbys (agents started with `--standby`: loaded and warm,
   * not registered) next to the replicas, and a scale-up promotes them before it starts processes; `gpu`: no standbys
   * beyond the ready replicas; `cold`: standbys end. A model without a load balancer has nothing to register a standby
   * with: no standbys.
   */
  async setWarmTier(
    model: string,
    tier: WarmTier,
  ): Promise<{
    readonly poolState: undefined;
    readonly changed: boolean;
    readonly standbys: number;
    readonly description: string;
  }> {
    const p = this.pool(model);
    if (tier !== 'gpu' && tier !== 'host' && tier !== 'cold') {
      throw new ValidationError(
        [{ path: 'tier', value: tier, allowed: 'gpu, host or cold' }],
        `warmth tier for model "${model}"`,
      );
    }
    const changed = p.tier !== tier;
    p.tier = tier;
    if (changed) p.standbyFailures = 0;
    this.keepStandbys(p);
    const n = p.standbys.filter((r) => r.live).length;
    const description =
      tier === 'host'
        ? p.template.lbUrl === undefined
          ? 'no standbys: the model has no load balancer to register them with'
          : `${n} standby replica(s) kept loaded, not registered (a scale-up promotes them)`
        : `no standbys${n > 0 ? ` (${n} ending)` : ''}`;
    return { poolState: undefined, changed, standbys: n, description };
  }

  /** Same as getState's replicas, typed with the local details (stage times, pid, url, logs). */
  describe(model: string): LocalReplicaInfo[] {
    return this.pool(model).replicas.map((r) => r.info());
  }

  async scale(request: ScaleRequest): Promise<void> {
    const p = this.pool(request.model);
    const max = p.template.maxReplicas;
    if (!Number.isInteger(request.replicas) || request.replicas < 0 || request.replicas > max) {
      throw new ValidationError(
        [
          {
            path: 'replicas',
            value: request.replicas,
            allowed: `an integer in [0, ${max}] (maxReplicas of model "${request.model}")`,
          },
        ],
        `scale request for model "${request.model}"`,
      );
    }
    if (typeof request.idempotencyKey !== 'string' || request.idempotencyKey.length === 0) {
      throw new ValidationError(
        [{ path: 'idempotencyKey', value: request.idempotencyKey, allowed: 'a non-empty string' }],
        `scale request for model "${request.model}"`,
      );
    }
    if (p.appliedKeys.has(request.idempotencyKey)) return;
    p.appliedKeys.add(request.idempotencyKey);
    if (p.appliedKeys.size > MAX_REMEMBERED_KEYS) p.appliedKeys.delete(p.appliedKeys.values().next().value!);
    // Replicas the daemon counts as failed (e.g. unready past their deadline) are ended first, then replaced below.
    for (const failed of request.replace ?? []) {
      const r = p.replicas.find((x) => x.id === failed.id);
      if (r?.live) {
        p.deps.log({ event: 'replica-replaced', model: request.model, replicaId: r.id, reason: failed.reason });
        this.retire(p, r);
      }
    }
    this.resize(p, request.replicas);
    this.keepStandbys(p);
  }

  /**
   * Resolves once `predicate` holds for the model's state (checked every `pollMs`), or rejects
   * after `timeoutMs` with the last state in the message. For tests, scripts and the e2e run.
   */
  async waitFor(
    model: string,
    predicate: (state: LocalModelState) => boolean,
    timeoutMs: number,
    pollMs = 50,
  ): Promise<LocalModelState> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const state = await this.getState(model);
      if (predicate(state)) return state;
      if (Date.now() >= deadline) {
        const summary =
          state.replicas.map((r) => `${r.id}:${r.phase}${r.reason ? ` (${r.reason})` : ''}`).join(', ') ||
          'no replicas';
        throw new LocalProviderError(
          'E_WAIT_TIMEOUT',
          `model "${model}": condition not met within ${timeoutMs} ms (desired ${state.desired}; ${summary})`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  /** Resolves once `desired` replicas are ready and none is still starting. */
  waitUntilReady(model: string, timeoutMs: number): Promise<LocalModelState> {
    return this.waitFor(
      model,
      (s) => {
        const live = s.replicas.filter((r) => r.phase !== 'draining' && r.phase !== 'failed');
        return live.length === s.desired && live.every((r) => r.phase === 'ready');
      },
      timeoutMs,
    );
  }

  private resize(p: Pool, n: number): void {
    p.desired = n;
    // Failed replicas were reported; now they are replaced.
    p.replicas = p.replicas.filter((r) => r.phase !== 'failed');
    const live = p.replicas.filter((r) => r.live);
    // Standbys first (warm ones before those still starting): a quick pass and a registration instead of a full start.
    const standbys = p.standbys
      .filter((r) => r.live && r.standby)
      .sort((a, b) => Number(b.warmStandby) - Number(a.warmStandby));
    for (let i = live.length; i < n; i++) {
      const promoted = standbys.find((r) => r.promote());
      if (promoted) {
        standbys.splice(standbys.indexOf(promoted), 1);
        p.standbys = p.standbys.filter((x) => x !== promoted);
        this.order.set(promoted, ++this.counter);
        p.replicas.push(promoted);
        continue;
      }
      const r = this.spawn(p, { leadTier: p.tier === 'host' ? 'cold' : undefined });
      p.replicas.push(r);
    }
    if (live.length > n) {
      const newestFirst = (a: ReplicaProcess, b: ReplicaProcess): number => this.order.get(b)! - this.order.get(a)!;
      const notReady = live.filter((r) => r.phase !== 'ready').sort(newestFirst);
      const ready = live.filter((r) => r.phase === 'ready').sort(newestFirst);
      for (const victim of [...notReady, ...ready].slice(0, live.length - n)) this.retire(p, victim);
    }
  }

  private spawn(p: Pool, opts: { readonly standby?: boolean; readonly leadTier?: WarmTier }): ReplicaProcess {
    const seq = ++this.counter;
    const r = new ReplicaProcess(`${p.template.model}-${this.tag}-${seq}`, p.template, p.deps, opts);
    this.order.set(r, seq);
    r.start();
    return r;
  }

  /** Standbys the model's tier asks for: `host` (with a load balancer) the template's standbyReplicas, else none. */
  private keepStandbys(p: Pool): void {
    if (this.closed) return;
    for (const r of p.standbys) {
      if (r.phase === 'failed') {
        p.standbyFailures++;
        p.deps.log({
          event: 'standby-failed',
          model: p.template.model,
          replicaId: r.id,
          reason: r.info().reason,
          failuresInARow: p.standbyFailures,
        });
      } else if (r.warmStandby) p.standbyFailures = 0;
    }
    p.standbys = p.standbys.filter((r) => r.phase !== 'failed');
    const live = p.standbys.filter((r) => r.live);
    const room = Math.max(0, p.template.maxReplicas - p.replicas.filter((r) => r.live).length);
    const want = p.tier === 'host' && p.template.lbUrl !== undefined ? Math.min(p.template.standbyReplicas, room) : 0;
    if (live.length > want) {
      // Those still starting first, then the newest.
      const victims = [...live].sort(
        (a, b) => Number(a.warmStandby) - Number(b.warmStandby) || this.order.get(b)! - this.order.get(a)!,
      );
      for (const r of victims.slice(0, live.length - want)) this.retire(p, r);
      return;
    }
    if (p.standbyFailures >= MAX_STANDBY_FAILURES) {
      if (live.length < want)
        p.deps.log({
          event: 'standby-held',
          model: p.template.model,
          reason: `${p.standbyFailures} standbys failed in a row; none started until the tier changes`,
        });
      return;
    }
    for (let i = live.length; i < want; i++) p.standbys.push(this.spawn(p, { standby: true }));
  }

  private retire(p: Pool, r: ReplicaProcess): void {
    const done = r.stop().then(() => {
      p.replicas = p.replicas.filter((x) => x !== r);
      p.standbys = p.standbys.filter((x) => x !== r);
      this.stopping.delete(done);
    });
    this.stopping.add(done);
  }

  /** Stops every replica (drain, then SIGKILL after the drain timeout) and waits until all processes are gone. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    this.closing = (async () => {
      for (const p of this.pools.values()) {
        p.desired = 0;
        for (const r of [...p.replicas, ...p.standbys]) if (r.live) this.retire(p, r);
      }
      const ended = [...this.pools.values()].flatMap((p) => [...p.replicas, ...p.standbys].map((r) => r.ended));
      await Promise.all([...ended, ...this.stopping]);
      this.reaper?.close();
      process.off('exit', this.killAll);
    })();
    return this.closing;
  }
}

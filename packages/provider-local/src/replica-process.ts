import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { ReplicaPhase, WarmTier } from '@warmpool/domain';
import type { LocalReplicaInfo } from './local-replica-info.js';
import type { ResolvedTemplate } from './local-provider-options.js';
import type { PortAllocator } from './port-allocator.js';
import { probeReadyz } from './readiness-probe.js';

export interface ReplicaProcessDeps {
  readonly agentBinPath: string;
  readonly nodePath: string;
  readonly runDir: string;
  readonly env: Readonly<Record<string, string>>;
  readonly probeIntervalMs: number;
  readonly probeTimeoutMs: number;
  readonly nowMs: () => number;
  readonly log: (event: Record<string, unknown>) => void;
  readonly ports: PortAllocator | undefined;
  /** The process was spawned / has ended (the provider's state file and watchdog). */
  readonly onSpawned?: (replicaId: string, pid: number, port: number) => void;
  readonly onEnded?: (replicaId: string, pid: number | undefined) => void;
}

const STDERR_TAIL_CHARS = 600;

/**
 * One `warmpool-agent serve` child process and its life: provisioning delay, spawn, loading and
 * warming (from its /readyz), ready once it logs `serving` (warm and, with a load balancer,
 * registered), draining on stop (SIGTERM, SIGKILL after the drain timeout), failed when it exits
 * on its own (with the reason it logged or wrote to stderr).
 */
export class ReplicaProcess {
  private phaseNow: ReplicaPhase = 'provisioning';
  private requestedAtMs: number;
  private processStartedAtMs: number | undefined;
  private warmingAtMs: number | undefined;
  private readyAtMs: number | undefined;
  private endedAtMs: number | undefined;
  private loadMs: number | undefined;
  private warmupMs: number | undefined;
  private registered = false;
  private url: string | undefined;
  private port: number | undefined;
  private reason: string | undefined;
  private exitCode: number | null | undefined;
  private signal: string | null | undefined;
  private child: ChildProcess | undefined;
  private stdoutFile: WriteStream | undefined;
  private stderrFile: WriteStream | undefined;
  private stderrTail = '';
  private provisionTimer: NodeJS.Timeout | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private killTimer: NodeJS.Timeout | undefined;
  private stopRequested = false;
  /** A host-tier standby (`serve --standby`): warms, then waits unregistered until promote(). */
  private standbyNow: boolean;
  /** The agent logged `standby`: warm and waiting. */
  private standingBy = false;
  private promotedAtMs: number | undefined;
  private standbySinceMs: number | undefined;
  /** The warmth tier its lead time is measured for: `host` once promoted, else what the provider said at creation. */
  private leadTier: WarmTier | undefined;
  private resolveEnded!: () => void;
  /** Resolves once the replica is gone for good (process exited, or never started). */
  readonly ended: Promise<void>;
  readonly stdoutLog: string;
  readonly stderrLog: string;

  constructor(
    readonly id: string,
    private readonly template: ResolvedTemplate,
    private readonly deps: ReplicaProcessDeps,
    opts: { readonly standby?: boolean; readonly leadTier?: WarmTier } = {},
  ) {
    this.standbyNow = opts.standby === true;
    this.leadTier = opts.leadTier;
    this.requestedAtMs = deps.nowMs();
    this.stdoutLog = join(deps.runDir, `${id}.out.log`);
    this.stderrLog = join(deps.runDir, `${id}.err.log`);
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
  }

  get phase(): ReplicaPhase {
    return this.phaseNow;
  }

  /** Not draining and not failed: counts toward the desired replicas. */
  get live(): boolean {
    return this.phaseNow !== 'draining' && this.phaseNow !== 'failed';
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Still a standby (not promoted). */
  get standby(): boolean {
    return this.standbyNow;
  }

  /** A standby whose agent is warm and waiting (else still provisioning, loading or warming). */
  get warmStandby(): boolean {
    return this.standbyNow && this.standingBy && this.live;
  }

  /**
   * Makes a standby a replica: SIGUSR2 to the agent, which runs a quick pass and registers. Only once its agent listens
   * (the promotion handler is installed before that). From now on it is asked for (requestedAtMs), spawned and warming
   * (when already warm) at this moment, so the lead time measured is the promotion's, tagged `host`. False when it
   * cannot be promoted (not a standby, not listening yet, ended).
   */
  promote(): boolean {
    const child = this.child;
    if (!this.standbyNow || !this.live || !this.url || !child || child.exitCode !== null || child.signalCode !== null)
      return false;
    child.kill('SIGUSR2');
    const now = this.deps.nowMs();
    this.standbyNow = false;
    this.promotedAtMs = now;
    this.standbySinceMs = this.requestedAtMs;
    this.requestedAtMs = now;
    this.processStartedAtMs = now;
    this.leadTier = 'host';
    // Already warm, or seen warming before the promotion: warming from now (no stage before the promotion is counted).
    if (this.standingBy || this.warmingAtMs !== undefined) {
      this.warmingAtMs = now;
      this.setPhase('warming');
    }
    this.emit({ event: 'standby-promoted', warm: this.standingBy });
    return true;
  }

  /** Begins the provisioning delay, then spawns the agent. */
  start(): void {
    this.emit({ event: 'replica-requested', provisionDelayMs: this.template.provisionDelayMs });
    this.provisionTimer = setTimeout(() => {
      this.provisionTimer = undefined;
      this.launch().catch((e: unknown) => this.fail(`could not start: ${e instanceof Error ? e.message : String(e)}`));
    }, this.template.provisionDelayMs);
    this.provisionTimer.unref();
  }

  /** Drains and stops: SIGTERM, SIGKILL after the template's drain timeout. Resolves when gone. */
  stop(): Promise<void> {
    if (this.stopRequested || this.phaseNow === 'failed') return this.ended;
    this.stopRequested = true;
    this.stopProbing();
    if (this.provisionTimer) {
      clearTimeout(this.provisionTimer);
      this.provisionTimer = undefined;
    }
    this.setPhase('draining');
    const child = this.child;
    if (!child) {
      // Not spawned yet: a launch in flight sees stopRequested and ends the replica itself.
      if (!this.launching) this.finish();
      return this.ended;
    }
    child.kill('SIGTERM');
    this.killTimer = setTimeout(() => {
      this.emit({ event: 'replica-kill', reason: `not drained within ${this.template.drainTimeoutMs} ms` });
      child.kill('SIGKILL');
    }, this.template.drainTimeoutMs);
    this.killTimer.unref();
    return this.ended;
  }

  /** SIGKILL now, synchronously, if the process runs (the owner's process is exiting). */
  killNow(): void {
    const c = this.child;
    if (c && c.pid !== undefined && c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }

  info(): LocalReplicaInfo {
    return {
      id: this.id,
      model: this.template.model,
      phase: this.phaseNow,
      requestedAtMs: this.requestedAtMs,
      ...(this.readyAtMs !== undefined ? { readyAtMs: this.readyAtMs } : {}),
      ...(this.processStartedAtMs !== undefined ? { processStartedAtMs: this.processStartedAtMs } : {}),
      ...(this.warmingAtMs !== undefined ? { warmingAtMs: this.warmingAtMs } : {}),
      ...(this.endedAtMs !== undefined ? { endedAtMs: this.endedAtMs } : {}),
      ...(this.loadMs !== undefined ? { loadMs: this.loadMs } : {}),
      ...(this.warmupMs !== undefined ? { warmupMs: this.warmupMs } : {}),
      registered: this.registered,
      ...(this.standbyNow ? { standby: this.standingBy ? ('standing-by' as const) : ('starting' as const) } : {}),
      ...(this.promotedAtMs !== undefined
        ? { promotedAtMs: this.promotedAtMs, standbySinceMs: this.standbySinceMs }
        : {}),
      ...(this.leadTier !== undefined ? { warmTier: this.leadTier } : {}),
      ...(this.child?.pid !== undefined ? { pid: this.child.pid } : {}),
      ...(this.url !== undefined ? { url: this.url } : {}),
      ...(this.reason !== undefined ? { reason: this.reason } : {}),
      ...(this.exitCode !== undefined ? { exitCode: this.exitCode } : {}),
      ...(this.signal !== undefined ? { signal: this.signal } : {}),
      stdoutLog: this.stdoutLog,
      stderrLog: this.stderrLog,
    };
  }

  private launching = false;

  private async launch(): Promise<void> {
    this.launching = true;
    try {
      this.port = this.deps.ports ? await this.deps.ports.acquire() : 0;
    } finally {
      this.launching = false;
    }
    if (this.stopRequested) {
      this.finish();
      return;
    }
    const t = this.template;
    const args = [
      this.deps.agentBinPath,
      'serve',
      '--model',
      t.modelSource,
      '--name',
      t.model,
      '--port',
      String(this.port),
      '--replica-id',
      this.id,
    ];
    if (t.lbUrl) args.push('--lb', t.lbUrl);
    if (this.standbyNow) args.push('--standby');
    args.push(...t.agentArgs);
    const env: Record<string, string> = { ...(process.env as Record<string, string>), ...this.deps.env };
    // The agent's info lines (listening, warmup-finished, serving, ...) are how this process follows it: a level above
    // info in the environment would silence them, so the agent logs at info at least.
    if (!['', 'trace', 'debug', 'info'].includes((env['WARMPOOL_LOG_LEVEL'] ?? '').trim().toLowerCase()))
      env['WARMPOOL_LOG_LEVEL'] = 'info';
    // The replica gets its own credential, never the shared secret (in the environment, never argv): HMAC-SHA256 of its
    // id under the secret, as @warmpool/load-balancer's deriveReplicaToken (tested together in the local-world e2e).
    if (t.lbToken)
      env['WARMPOOL_LB_TOKEN'] = createHmac('sha256', t.lbToken)
        .update(`warmpool-replica:${this.id}`)
        .digest('base64url');
    this.stdoutFile = createWriteStream(this.stdoutLog, { flags: 'a' });
    this.stderrFile = createWriteStream(this.stderrLog, { flags: 'a' });
    this.stdoutFile.on('error', (e) =>
      this.emit({ event: 'log-write-failed', file: this.stdoutLog, error: e.message }),
    );
    this.stderrFile.on('error', (e) =>
      this.emit({ event: 'log-write-failed', file: this.stderrLog, error: e.message }),
    );
    const child = spawn(this.deps.nodePath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    this.child = child;
    this.processStartedAtMs = this.deps.nowMs();
    this.setPhase('loading');
    this.emit({ event: 'replica-spawned', pid: child.pid, port: this.port });
    if (child.pid !== undefined) this.deps.onSpawned?.(this.id, child.pid, this.port ?? 0);
    child.on('error', (e) => this.fail(`spawn ${this.deps.nodePath}: ${e.message}`));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      this.stdoutFile?.write(`${line}\n`);
      this.onAgentLine(line);
    });
    child.stderr!.on('data', (c: Buffer) => {
      this.stderrFile?.write(c);
      this.stderrTail = (this.stderrTail + c.toString('utf8')).slice(-STDERR_TAIL_CHARS);
    });
    child.on('close', (code, signal) => this.onExit(code, signal));
  }

  private onAgentLine(line: string): void {
    let ev: Record<string, unknown>;
    try {
      ev = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return; // not an event line: kept in the log only
    }
    switch (ev['event']) {
      case 'listening':
        if (typeof ev['url'] === 'string') {
          this.url = ev['url'];
          this.scheduleProbe(0);
        }
        break;
      case 'warmup-finished':
        if (typeof ev['loadMs'] === 'number') this.loadMs = Math.round(ev['loadMs']);
        if (typeof ev['warmupMs'] === 'number') this.warmupMs = Math.round(ev['warmupMs']);
        if (ev['phase'] !== 'ready' && typeof ev['reason'] === 'string') this.reason = ev['reason'];
        break;
      case 'standby':
        if (this.standbyNow) {
          this.standingBy = true;
          this.stopProbing();
          if (this.warmingAtMs === undefined) this.warmingAtMs = this.deps.nowMs();
          this.emit({ event: 'standby-warm' });
        }
        break;
      case 'serving':
        this.registered = this.template.lbUrl !== undefined;
        this.becomeReady();
        break;
      case 'not-serving':
        this.reason = `${String(ev['error'] ?? 'E_NOT_SERVING')}: ${String(ev['reason'] ?? 'not serving')}`;
        break;
      case 'deregistered':
        this.registered = false;
        break;
      default:
        break;
    }
  }

  private becomeReady(): void {
    if (!this.live || this.phaseNow === 'ready') return;
    if (this.warmingAtMs === undefined) this.warmingAtMs = this.deps.nowMs();
    this.readyAtMs = this.deps.nowMs();
    this.reason = undefined;
    this.stopProbing();
    this.setPhase('ready');
  }

  private scheduleProbe(delayMs: number): void {
    if (this.probeTimer || !this.url || !this.live || this.phaseNow === 'ready' || this.warmStandby) return;
    this.probeTimer = setTimeout(() => {
      this.probeTimer = undefined;
      void this.probe();
    }, delayMs);
    this.probeTimer.unref();
  }

  private async probe(): Promise<void> {
    if (!this.url) return;
    const answer = await probeReadyz(this.url, this.template.model, this.deps.probeTimeoutMs);
    if (!this.live || this.phaseNow === 'ready' || this.warmStandby) return;
    if (answer.stage === 'warming' && this.phaseNow === 'loading') {
      this.warmingAtMs = this.deps.nowMs();
      this.setPhase('warming');
    } else if (answer.stage === 'ready' && this.phaseNow === 'loading') {
      // Warm-up went by between two probes: it was warming until now at the latest.
      this.warmingAtMs = this.deps.nowMs();
      this.setPhase('warming');
    } else if (answer.stage === 'failed') {
      this.reason = answer.reason;
    }
    // `ready` needs the agent's `serving` line (warm and registered); without a load balancer
    // a ready /readyz is enough.
    if (answer.stage === 'ready' && this.template.lbUrl === undefined) this.becomeReady();
    this.scheduleProbe(this.deps.probeIntervalMs);
  }

  private stopProbing(): void {
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.exitCode = code;
    this.signal = signal;
    this.registered = false;
    if (!this.stopRequested && this.phaseNow !== 'failed') {
      const tail = this.stderrTail.trim().split('\n').slice(-2).join(' | ');
      const why = this.reason ?? (tail || undefined);
      this.fail(`exited ${signal ? `on ${signal}` : `with code ${code}`}${why ? `: ${why}` : ''}`);
    }
    this.finish();
  }

  private fail(reason: string): void {
    if (this.phaseNow === 'failed') return;
    this.reason = reason;
    this.stopProbing();
    this.setPhase('failed');
    if (!this.child || this.child.pid === undefined || this.child.exitCode !== null || this.child.signalCode !== null)
      this.finish();
    else this.child.kill('SIGKILL'); // e.g. a spawn error after start: make sure nothing is left
  }

  private finished = false;

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.endedAtMs = this.deps.nowMs();
    if (this.killTimer) clearTimeout(this.killTimer);
    this.stopProbing();
    if (this.port && this.deps.ports) this.deps.ports.release(this.port);
    this.stdoutFile?.end();
    this.stderrFile?.end();
    this.emit({
      event: 'replica-ended',
      phase: this.phaseNow,
      exitCode: this.exitCode,
      signal: this.signal,
      reason: this.reason,
    });
    this.deps.onEnded?.(this.id, this.child?.pid);
    this.resolveEnded();
  }

  private setPhase(phase: ReplicaPhase): void {
    if (this.phaseNow === phase) return;
    this.phaseNow = phase;
    this.emit({ event: 'replica-phase', phase, ...(this.reason && phase === 'failed' ? { reason: this.reason } : {}) });
  }

  private emit(event: Record<string, unknown>): void {
    this.deps.log({ ...event, replicaId: this.id, model: this.template.model, atMs: this.deps.nowMs() });
  }
}

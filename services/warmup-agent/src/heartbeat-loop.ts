import type { Registrar, ReplicaRegistration } from '@warmpool/domain';
import { describeRegistrarFailure, type RegistrarFailure } from './registrar-failure.js';

export interface HeartbeatLoopOptions {
  readonly registrar: Registrar;
  readonly registration: ReplicaRegistration;
  readonly intervalMs: number;
  /** Every failed heartbeat (transient ones too); the loop goes on after transient ones. */
  readonly onFailure: (failure: RegistrarFailure) => void;
  /**
   * Go on after every failure, permanent ones too (`fatal` never resolves): a membership check after registration,
   * where a refusal now (the replica not ready for a while) may clear later. Default false.
   */
  readonly neverFatal?: boolean;
}

/**
 * Sends `registrar.heartbeat()` at once and then every `intervalMs` after the previous one
 * finished (never two at a time), until stopped or until a heartbeat fails for good (a hook that
 * is gone): `fatal` then resolves with that failure.
 */
export class HeartbeatLoop {
  readonly fatal: Promise<RegistrarFailure>;
  beats = 0;
  private resolveFatal!: (f: RegistrarFailure) => void;
  private timer: NodeJS.Timeout | undefined;
  private inflight: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly opts: HeartbeatLoopOptions) {
    this.fatal = new Promise((resolve) => (this.resolveFatal = resolve));
  }

  start(): void {
    this.beat();
  }

  /** Like `start`, with the first heartbeat `delayMs` from now. */
  startAfter(delayMs: number): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => this.beat(), delayMs);
  }

  /** Stops the loop; resolves once a heartbeat in flight has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.inflight;
  }

  private beat(): void {
    if (this.stopped) return;
    this.inflight = this.opts.registrar.heartbeat(this.opts.registration).then(
      () => {
        this.beats++;
        this.schedule();
      },
      (e: unknown) => {
        const failure = describeRegistrarFailure(e);
        this.opts.onFailure(failure);
        if (failure.transient || this.opts.neverFatal) return this.schedule();
        this.stopped = true;
        this.resolveFatal(failure);
      },
    );
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.beat(), this.opts.intervalMs);
  }
}

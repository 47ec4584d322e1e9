import { ModelReplica, type ReplicaStatus } from '@warmpool/warmup';

type Gate = { readonly kind: 'pending' | 'failed'; readonly reason: string; readonly code: string | undefined };

/**
 * A ModelReplica whose readiness the agent can hold back: `pending` keeps a warm replica out of
 * traffic (`/readyz` 503) until its registrar confirmed; `failed` keeps it out for good (a
 * registration that failed), whatever the warm-up does afterwards.
 */
export class GatedReplica extends ModelReplica {
  private gate: Gate | undefined;

  /** Ready once warm, but not before `open()`. */
  holdUntilOpened(reason: string): void {
    this.gate = { kind: 'pending', reason, code: undefined };
  }

  /** Never ready again; /readyz answers 503 with this reason. */
  failWith(code: string, reason: string): void {
    this.gate = { kind: 'failed', reason, code };
  }

  open(): void {
    if (this.gate?.kind === 'pending') this.gate = undefined;
  }

  /** Loads and warms; resolves with the warm-up's own status (the gate left out). */
  override async start(): Promise<ReplicaStatus> {
    await super.start();
    return super.status();
  }

  override get ready(): boolean {
    return super.ready && this.gate === undefined;
  }

  override status(): ReplicaStatus {
    const st = super.status();
    const gate = this.gate;
    if (!gate || st.phase === 'draining') return st;
    if (gate.kind === 'pending' && st.phase !== 'ready') return st;
    return {
      ...st,
      phase: gate.kind === 'failed' ? 'failed' : 'not-ready',
      reason: gate.reason,
      errorCode: gate.code ?? st.errorCode,
    };
  }
}

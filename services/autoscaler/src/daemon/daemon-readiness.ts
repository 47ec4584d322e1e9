import type { ScaleQueue } from '@warmpool/domain';
import type { DaemonView, Readiness } from './daemon-deps.js';

/** Longest wait of one readiness check. */
const READINESS_TIMEOUT_MS = 2000;

function pingOf(q: ScaleQueue): (() => Promise<void>) | undefined {
  const p = (q as { ping?: () => Promise<void> }).ping;
  return typeof p === 'function' ? () => p.call(q) : undefined;
}

async function within<T>(
  what: string,
  work: () => Promise<T>,
  timeoutMs: number,
): Promise<{ ok: boolean; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      work(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

/** `/readyz`: the leader checks provider, queue and history source; a follower the leader lock. Coalesced. */
export class DaemonReadiness {
  private pending: Promise<Readiness> | undefined;

  constructor(private readonly daemon: DaemonView) {}

  check(): Promise<Readiness> {
    this.pending ??= this.run().finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async run(): Promise<Readiness> {
    const d = this.daemon;
    if (!d.running) return { ready: false, role: 'stopped', checks: {} };
    const t = READINESS_TIMEOUT_MS;
    if (!d.campaigning) return { ready: true, role: 'dry-run', checks: {} };
    const leadership = d.deps.leadership;
    if (!leadership.isLeader()) {
      const lock = leadership.ping ? await within('leader election', () => leadership.ping!(), t) : { ok: true };
      return { ready: lock.ok, role: 'follower', checks: { leaderElection: lock } };
    }
    const first = [...d.loops.values()][0];
    const ping = pingOf(d.deps.queue);
    const history = d.deps.history;
    const [provider, queue, hist] = await Promise.all([
      first ? within('provider', () => d.deps.provider.getState(first.name), t) : Promise.resolve({ ok: true }),
      ping ? within('queue', ping, t) : Promise.resolve({ ok: true }),
      history && first
        ? within(
            'history',
            () => {
              const stepS = first.config.stepS;
              const endS = Math.floor(d.now() / 1000 / stepS) * stepS;
              return history.read(first.name, endS - stepS, endS, stepS);
            },
            t,
          )
        : Promise.resolve({ ok: true }),
    ]);
    const checks = { provider, queue, ...(history ? { history: hist } : {}) };
    return { ready: Object.values(checks).every((c) => c.ok), role: 'leader', checks };
  }
}

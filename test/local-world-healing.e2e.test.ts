import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalWorld } from '../services/autoscaler/src/world/local-world.js';
import type { LocalWorldResult } from '../services/autoscaler/src/world/local-world-result.js';

const dir = mkdtempSync(join(tmpdir(), 'warmpool-world-heal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// Steady 4 req/s: two replicas of 4/s serve it (minWarmReplicas 2). One replica process is SIGKILLed in its warm-up
// (before the load), another while the load runs; the world replaces the first, the daemon the second.
const HISTORY_S = 60;
const DURATION_S = 30;
const counts = Array.from({ length: HISTORY_S + DURATION_S + 5 }, () => 4);

describe('the local world heals', () => {
  it('a replica killed in warm-up and one killed under traffic are replaced; the capacity comes back and nothing is left running', async () => {
    const tracePath = join(dir, 'steady.csv');
    writeFileSync(tracePath, `t,count\n${counts.map((c, t) => `${t},${c}`).join('\n')}\n`);
    const lines: string[] = [];
    const stdout = Object.assign(
      new Writable({
        write: (chunk, _enc, cb) => {
          lines.push(String(chunk));
          cb();
        },
      }),
      { isTTY: false },
    );
    const pidOf = new Map<string, number>();
    const phaseOf = new Map<string, string>();
    let killedInWarmUp: string | undefined;
    let killedUnderLoad: { id: string; atMs: number } | undefined;
    let replaying = false;
    let killTimer: NodeJS.Timeout | undefined;
    const killOneReady = (): void => {
      const victim = [...phaseOf].find(([id, phase]) => phase === 'ready' && pidOf.has(id) && id !== killedInWarmUp);
      if (!victim || killedUnderLoad) return;
      killedUnderLoad = { id: victim[0], atMs: Date.now() };
      process.kill(pidOf.get(victim[0])!, 'SIGKILL');
    };
    const world = await LocalWorld.start(
      {
        tracePath,
        speedX: 1,
        replayFromS: HISTORY_S,
        historyS: HISTORY_S,
        durationS: DURATION_S,
        peakPerS: 4,
        capacityPerReplicaPerS: 4,
        minWarmReplicas: 2,
        maxReplicas: 3,
        initialReplicas: 2,
        provisionDelayMs: 500,
        tickS: 1,
        stepS: 1,
        horizonS: 4,
        httpPort: 0,
        format: 'json',
        runDir: join(dir, 'run'),
      },
      {
        stdout,
        onReplicaEvent: (e) => {
          const id = String(e['replicaId']);
          if (e['event'] === 'replica-spawned' && typeof e['pid'] === 'number') {
            pidOf.set(id, e['pid']);
            // The first process spawned dies before its warm-up ends.
            if (killedInWarmUp === undefined) {
              killedInWarmUp = id;
              process.kill(e['pid'], 'SIGKILL');
            }
          }
          if (e['event'] === 'replica-phase') phaseOf.set(id, String(e['phase']));
        },
        onReplayStart: () => {
          replaying = true;
          killTimer = setTimeout(killOneReady, 4_000);
        },
      },
    );
    let result: LocalWorldResult;
    try {
      result = await world.finished;
    } finally {
      clearTimeout(killTimer);
    }
    expect(replaying).toBe(true);
    expect(result.endedBy).toBe('the replay ended');
    const records = lines
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);

    // 1. Killed in warm-up: replaced by the world before the load began (no 180-s abort).
    expect(killedInWarmUp).toBeDefined();
    // a world log line (the one logger): its text is msg
    expect(records.find((r) => r['event'] === 'replica-replaced')?.['msg']).toMatch(
      new RegExp(`^${killedInWarmUp} failed in warm-up`),
    );
    expect(result.decisions[0]!.ready).toBe(2);

    // 2. Killed under load: counted failed (not warming) and replaced by the daemon with reason ReplicaFailed.
    expect(killedUnderLoad, 'a ready replica to kill under load').toBeDefined();
    const healing = result.decisions.find((d) => d.replaced?.some((r) => r.id === killedUnderLoad!.id));
    expect(healing, 'a decision that replaces the replica killed under load').toBeDefined();
    expect(healing!.reasons).toContain('ReplicaFailed');
    expect(healing!.failed).toBeGreaterThanOrEqual(1);
    expect(healing!.acted).toBe('enqueued');
    expect(Date.parse(healing!.time) - killedUnderLoad!.atMs).toBeLessThan(10_000);

    // 3. The capacity came back: a replica other than the victims joined the load balancer after the kill, and the
    // daemon saw 2 ready again before the replay ended.
    const joinedAfter = result.pool.filter(
      (e) => e.joined && e.atMs > killedUnderLoad!.atMs && e.replicaId !== killedUnderLoad!.id,
    );
    expect(joinedAfter.length).toBeGreaterThanOrEqual(1);
    const back = result.decisions.find((d) => Date.parse(d.time) > Date.parse(healing!.time) && (d.ready ?? 0) >= 2);
    expect(back, 'two replicas ready again').toBeDefined();
    expect(result.load.summary.requests).toBeGreaterThan(50);

    // Nothing left running.
    expect(result.replicaPids.filter(alive)).toEqual([]);
  }, 120_000);
});

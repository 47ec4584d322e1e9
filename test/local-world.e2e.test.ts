import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { countColdHits } from '@warmpool/loadgen';
import { LocalWorld } from '../services/autoscaler/src/world/local-world.js';

const dir = mkdtempSync(join(tmpdir(), 'warmpool-world-e2e-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** True while a process with this pid exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// Under load (9-15 on 2 cores) a replica's way to ready (provisioning delay, process start, model load, warm-up)
// takes several times what it takes on an idle machine. The scenario's timescales come from one replica started
// first, on the same machine at the same load: the daemon's lead-time guess covers it with room, the square wave's
// step comes after that lead plus the horizon, and the trace's "day" is the wave's period (speedX), so the forecaster's
// season is the wave and the planner scales up when the step enters its window [now + lead, now + lead + horizon].
// A planner that ignored the forecast (reactive) scales at the step; one that ignored the lead time scales a horizon
// (2 s) before it: both register the new replicas after the step, which the test checks.
const LOW = 2;
const HIGH = 12;
const PROVISION_MS = 1000;
const HORIZON_S = 2;
/** A replica's warm-up budget (warm-up spec budgetS): it registers, warm or not, within it. */
const WARMUP_BUDGET_S = 8;
const DAY_S = 86_400;

/** Writes `rows` of `t,count` (one row per wall second at speedX: t in trace seconds). */
function writeTrace(path: string, counts: readonly number[], speedX: number): void {
  writeFileSync(path, `t,count\n${counts.map((c, i) => `${i * speedX},${c}`).join('\n')}\n`);
}

/** Collects the world's stdout lines. */
function lineSink(lines: string[]): Writable & { isTTY: boolean } {
  return Object.assign(
    new Writable({
      write: (chunk, _enc, cb) => {
        lines.push(String(chunk));
        cb();
      },
    }),
    { isTTY: false },
  );
}

/** Seconds from asking for one replica to its registration with the load balancer, at this machine's load now. */
async function measureReplicaReadyS(): Promise<number> {
  const tracePath = join(dir, 'probe.csv');
  writeTrace(tracePath, new Array<number>(10).fill(1), 1);
  const world = await LocalWorld.start(
    {
      tracePath,
      speedX: 1,
      replayFromS: 8,
      historyS: 8,
      durationS: 1,
      peakPerS: 1,
      initialReplicas: 1,
      provisionDelayMs: PROVISION_MS,
      warmupBudgetS: WARMUP_BUDGET_S,
      httpPort: 0,
      format: 'json',
      runDir: join(dir, 'probe-run'),
    },
    { stdout: lineSink([]) },
  );
  const ready = (await world.finished).summary.replicaReadyS;
  if (ready === null) throw new Error('the probe replica never registered: the scenario cannot be timed');
  return ready.max;
}

describe('the local world, end to end', () => {
  it('scales a replica ahead of a step the history shows every cycle; it is registered before the step, no cold hits, nothing left running', async () => {
    const measuredS = await measureReplicaReadyS();
    // The daemon's lead guess (provisioning + startupS). A replica's warm-up ends within its budget (then it registers
    // anyway), but process start and model load grow with the load, which often rises during the run (the step starts
    // 3 replicas at once): at load 17-20 they took 3 times the probe's start and warm-up besides the budget (with a
    // 20-s budget, up to 5 times the probe's way to ready). So: the budget, 3 times the probe's, and 2 s.
    const startupS = WARMUP_BUDGET_S + Math.ceil(3 * Math.max(0, measuredS - PROVISION_MS / 1000)) + 2;
    const leadS = PROVISION_MS / 1000 + startupS;
    const STEP_AT_S = Math.ceil(leadS + HORIZON_S + 4);
    // Each cycle: LOW for LOW_BEFORE_S + STEP_AT_S, then HIGH for HIGH_S; the replay starts LOW_BEFORE_S into the low
    // part, so that the history ends low (the recent level alone asks for no more replicas before the step).
    // The period divides the trace day (the trace's seconds are integers); what it adds is low before the replay.
    const HIGH_S = 10;
    let periodS = STEP_AT_S + HIGH_S + 10;
    while (DAY_S % periodS !== 0) periodS++;
    const LOW_BEFORE_S = periodS - STEP_AT_S - HIGH_S;
    const speedX = DAY_S / periodS;
    const HISTORY_S = 4 * periodS;
    const durationS = STEP_AT_S + HIGH_S;
    // (HISTORY_S is whole periods: trace second t is at phase t + LOW_BEFORE_S)
    const counts = Array.from({ length: HISTORY_S + periodS }, (_, t) =>
      (t + LOW_BEFORE_S) % periodS < LOW_BEFORE_S + STEP_AT_S ? LOW : HIGH,
    );
    const tracePath = join(dir, 'square-wave.csv');
    writeTrace(tracePath, counts, speedX);
    const lines: string[] = [];
    const replayCalls: number[] = [];
    const world = await LocalWorld.start(
      {
        tracePath,
        speedX,
        replayFromS: HISTORY_S * speedX,
        historyS: HISTORY_S,
        durationS,
        peakPerS: HIGH,
        capacityPerReplicaPerS: 4,
        maxReplicas: 4,
        initialReplicas: 1,
        provisionDelayMs: PROVISION_MS,
        startupS,
        warmupBudgetS: WARMUP_BUDGET_S,
        tickS: 1,
        stepS: 1,
        horizonS: HORIZON_S,
        httpPort: 0,
        format: 'json',
        runDir: join(dir, 'run'),
      },
      { stdout: lineSink(lines), onReplayStart: () => replayCalls.push(Date.now()) },
    );
    const result = await world.finished;
    // The replay began once, after the daemon's first tick had decided, and before the first request went out.
    expect(replayCalls).toHaveLength(1);
    expect(Date.parse(result.decisions[0]!.time)).toBeLessThanOrEqual(replayCalls[0]!);
    expect(replayCalls[0]!).toBeLessThanOrEqual(result.replayStartMs);
    expect(result.load.records[0]!.sentAtMs).toBeGreaterThanOrEqual(replayCalls[0]!);
    const stepAtMs = result.replayStartMs + STEP_AT_S * 1000;

    // The daemon backfilled the history and planned with the forecast (not the reactive fallback).
    const records = lines
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    // a daemon log line (the one logger): its text is msg
    expect(records.find((r) => r['event'] === 'backfilled')?.['msg']).toMatch(
      new RegExp(`^${HISTORY_S} of ${HISTORY_S} steps`),
    );
    const ahead = result.decisions.find(
      (d) =>
        d.action === 'scale-up' &&
        d.acted === 'enqueued' &&
        d.reasons.includes('ForecastScaleAhead') &&
        Date.parse(d.time) < stepAtMs,
    );
    expect(ahead, 'a ForecastScaleAhead scale-up before the step').toBeDefined();
    expect(
      result.decisions
        .filter((d) => Date.parse(d.time) < stepAtMs)
        .every((d) => !d.reasons.includes('ReactiveFallback')),
    ).toBe(true);

    // Its replicas were registered with the load balancer (warm) before the step arrived.
    const joinedBeforeStep = result.pool.filter((e) => e.joined && e.atMs < stepAtMs).length;
    const leftBeforeStep = result.pool.filter((e) => !e.joined && e.atMs < stepAtMs).length;
    expect(joinedBeforeStep - leftBeforeStep).toBeGreaterThanOrEqual(ahead!.to);
    expect(joinedBeforeStep - leftBeforeStep).toBeGreaterThanOrEqual(Math.ceil(HIGH / 4));
    const outcome = result.summary.outcomes.find((o) => o.atMs === Date.parse(ahead!.time))!;
    expect(outcome.readyAtMs).not.toBeNull();
    expect(outcome.readyAtMs!).toBeLessThan(stepAtMs);

    // Every request answered, none by a replica before its registration (its warm-up ended).
    expect(result.load.summary.requests).toBeGreaterThan(100);
    expect(result.load.summary.errors).toBe(0);
    const registeredAt = new Map<string, number>();
    for (const e of result.pool) if (e.joined && !registeredAt.has(e.replicaId)) registeredAt.set(e.replicaId, e.atMs);
    expect(countColdHits(result.load.records, registeredAt)).toBe(0);
    expect(result.summary.coldHits).toBe(0);
    expect([...result.registeredAtMs]).toEqual([...registeredAt]);

    // Replica-seconds of the replay: the warm replica for all of it, plus the ones scaled up for the step.
    const replayS = (result.replayEndMs - result.replayStartMs) / 1000;
    // the last request goes out before the replay's last second; the replay ends with its answer
    expect(replayS).toBeGreaterThan(durationS - 5);
    expect(result.replicas.length).toBe(result.summary.replicasStarted);
    expect(result.replicas.map((r) => r.id).sort()).toEqual(expect.arrayContaining([...registeredAt.keys()].sort()));
    expect(result.summary.replicaSeconds).toBeGreaterThan(replayS);
    expect(result.summary.replicaSeconds).toBeLessThanOrEqual(result.replicas.length * replayS + 0.1);
    // Lead time is measured from the real replicas: the provisioning delay is part of it.
    expect(result.summary.measuredLeadTimeS).toBeGreaterThanOrEqual(1);
    expect(result.summary.replicaReadyS!.count).toBe(registeredAt.size);
    expect(result.summary.replicaReadyS!.max).toBeGreaterThanOrEqual(1);

    // Everything shut down: no replica process left, ports closed.
    expect(result.replicaPids.length).toBeGreaterThanOrEqual(2);
    expect(result.replicaPids.filter(alive)).toEqual([]);
    await expect(fetch(`${world.lbUrl}/healthz`)).rejects.toThrow();
    await expect(fetch(`${world.dashboardUrl}/api/state`)).rejects.toThrow();
  }, 150_000);
});

describe('warmpool start, as a process', () => {
  it.each([
    ['while the first replicas warm up', '3000', '"event":"http-listening"'],
    ['while the load runs', '300', '"event":"started"'],
  ])(
    'SIGINT %s ends it cleanly: exit 0, a summary, every replica process gone, nothing keeps Node alive',
    async (_when, provisionDelayMs, marker) => {
      const { spawn } = await import('node:child_process');
      const bin = join(import.meta.dirname, '../services/autoscaler/bin/warmpool.js');
      const child = spawn(
        process.execPath,
        [
          bin,
          'start',
          '--duration-s',
          '60',
          '--provision-delay-ms',
          provisionDelayMs,
          '--port',
          '0',
          '--format',
          'json',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      let err = '';
      child.stderr.on('data', (c: Buffer) => (err += String(c)));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      try {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(
            () =>
              reject(new Error(`no ${marker} within 120 s; stdout: ${out.slice(-2000)} stderr: ${err.slice(-2000)}`)),
            120_000,
          );
          child.stdout.on('data', (c: Buffer) => {
            out += String(c);
            if (out.includes(marker)) {
              clearTimeout(timer);
              resolve();
            }
          });
        });
        const first = JSON.parse(out.split('\n')[0]!) as { event: string; url: string };
        expect(first).toMatchObject({ event: 'dashboard' });
        expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/ui$/);
        expect((await fetch(`${first.url}/api/state`)).status).toBe(200);
        child.kill('SIGINT');
        const code = await Promise.race([
          exited,
          new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 60_000)),
        ]);
        expect(code, `stderr: ${err.slice(-2000)}`).toBe(0);
        const summary = out
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Record<string, unknown>)
          .find((r) => r['event'] === 'summary')!;
        expect(summary).toMatchObject({ endedBy: 'SIGINT', coldHits: 0 });
        const pids = summary['replicaPids'] as number[];
        if (provisionDelayMs === '300') expect(pids.length).toBeGreaterThan(0);
        expect(pids.filter(alive)).toEqual([]);
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    },
    // a generous bound for the marker (120 s, event-driven: it resolves as soon as the line comes) and the exit (60 s)
    200_000,
  );
});

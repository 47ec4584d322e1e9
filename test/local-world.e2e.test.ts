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

// A square wave with a 30-s period (15 s at 2 req/s, 15 s at 12 req/s): 4 cycles of history, then one more cycle
// replayed as real load. The step at replay second 15 is the one every cycle of the history shows.
const LOW = 2;
const HIGH = 12;
const HISTORY_S = 120;
const STEP_AT_S = 15;
const counts = Array.from({ length: HISTORY_S + 30 }, (_, t) => (t % 30 < 15 ? LOW : HIGH));

describe('the local world, end to end', () => {
  it('scales a replica ahead of a step the history shows every cycle; it is registered before the step, no cold hits, nothing left running', async () => {
    const tracePath = join(dir, 'square-wave.csv');
    writeFileSync(tracePath, `t,count\n${counts.map((c, t) => `${t},${c}`).join('\n')}\n`);
    const lines: string[] = [];
    const replayCalls: number[] = [];
    const stdout = Object.assign(
      new Writable({
        write: (chunk, _enc, cb) => {
          lines.push(String(chunk));
          cb();
        },
      }),
      { isTTY: false },
    );
    const world = await LocalWorld.start(
      {
        tracePath,
        speedX: 1,
        replayFromS: HISTORY_S,
        historyS: HISTORY_S,
        durationS: 25,
        peakPerS: HIGH,
        capacityPerReplicaPerS: 4,
        maxReplicas: 4,
        initialReplicas: 1,
        provisionDelayMs: 1000,
        tickS: 1,
        stepS: 1,
        horizonS: 4,
        httpPort: 0,
        format: 'json',
        runDir: join(dir, 'run'),
      },
      { stdout, onReplayStart: () => replayCalls.push(Date.now()) },
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
    expect(records.find((r) => r['event'] === 'backfilled')?.['msg']).toMatch(/^120 of 120 steps/);
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

    // Every request answered, none by a replica before its registration (its warm-up converged).
    expect(result.load.summary.requests).toBeGreaterThan(100);
    expect(result.load.summary.errors).toBe(0);
    const registeredAt = new Map<string, number>();
    for (const e of result.pool) if (e.joined && !registeredAt.has(e.replicaId)) registeredAt.set(e.replicaId, e.atMs);
    expect(countColdHits(result.load.records, registeredAt)).toBe(0);
    expect(result.summary.coldHits).toBe(0);
    expect([...result.registeredAtMs]).toEqual([...registeredAt]);

    // Replica-seconds of the replay: the warm replica for all of it, plus the ones scaled up for the step.
    const replayS = (result.replayEndMs - result.replayStartMs) / 1000;
    // the last request goes out before second 25; the replay ends with its answer
    expect(replayS).toBeGreaterThan(20);
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
  }, 60_000);
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
              reject(new Error(`no ${marker} within 30 s; stdout: ${out.slice(-2000)} stderr: ${err.slice(-2000)}`)),
            30_000,
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
          new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 20_000)),
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
    60_000,
  );
});

import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// The soak itself is bench/chaos-soak.js (`npm run bench:chaos`, 30 minutes, 1,000 models); this is its short form.
// @ts-expect-error: a plain ES module of the bench, without types
import { runChaos } from '../../../bench/chaos-soak.js';

function has(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

const canRun = process.platform === 'linux' && has('redis-server', ['--version']) && has('/usr/bin/perl', ['-e', '1']);

interface ChaosReport {
  dir: string;
  leaderKills: number;
  redisRestarts: number;
  replicaKills: number;
  scalesApplied: number;
  doubleScaleUps: number;
  lostScaleJobs: number;
  lost: unknown[];
  orphans: number;
  maxTakeoverS: number | null;
  takeoverBoundS: number;
  daemonErrors: unknown[];
}

describe.skipIf(!canRun)(
  'chaos soak, short form (issue 16: two daemons, private redis-server, leader SIGKILLs, Redis restarts, replica kills)',
  () => {
    it('0 double scale-ups, 0 lost scale jobs, 0 orphaned processes, takeover under two lease durations', async () => {
      const lines: string[] = [];
      const report = (await runChaos(
        {
          durationS: 100,
          models: 100,
          hotEvery: 20,
          leaderKillEveryS: 35,
          redisRestartEveryS: 45,
          replicaKillEveryS: 10,
          warmupS: 30,
          leaseMs: 5000,
          provisionDelayMs: 1000,
        },
        (l: string) => lines.push(l),
      )) as ChaosReport;
      try {
        expect(report.daemonErrors).toEqual([]);
        expect(report.leaderKills).toBeGreaterThanOrEqual(2);
        expect(report.redisRestarts).toBeGreaterThanOrEqual(2);
        expect(report.replicaKills).toBeGreaterThan(0);
        expect(report.scalesApplied).toBeGreaterThan(0);
        expect({
          doubles: report.doubleScaleUps,
          lost: report.lostScaleJobs,
          lostJobs: report.lost,
          orphans: report.orphans,
        }).toEqual({ doubles: 0, lost: 0, lostJobs: [], orphans: 0 });
        expect(report.maxTakeoverS).not.toBeNull();
        expect(report.maxTakeoverS!).toBeLessThan(report.takeoverBoundS);
      } catch (err) {
        throw new Error(`${(err as Error).message}\n${lines.join('\n')}\n${JSON.stringify(report, null, 2)}`, {
          cause: err,
        });
      } finally {
        rmSync(report.dir, { recursive: true, force: true });
      }
    }, 240_000);
  },
);

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LoadBalancerServer } from '@warmpool/load-balancer';
import { TraceLoadGenerator, countColdHits, parseTraceCsv, type RequestRecord } from '@warmpool/loadgen';
import { LocalProcessProvider } from '../src/local-process-provider.js';
import { agentBinPath, alive, tempWorld } from './agent-fixture.js';

const MODEL = 'tiny-transformer';
const TOKEN = 'e2e-token';
const world = tempWorld('warmpool-local-e2e-');
afterAll(() => world.remove());

// The whole local path: load generator → real load balancer → agent processes (ONNX Runtime, tiny model).
// Event-driven, not timed: traffic runs in 1 s slices at 10 req/s while the second replica starts and warms (however
// long that takes on a loaded machine, within a generous bound), and the step to 40 req/s comes once it is ready. It
// still fails when the behaviour is wrong: a request that reaches a replica before its registration, a registration
// before warm-up converged, an error, or a replica left running after close.
describe('local world end to end', () => {
  it('a replica scaled ahead of a step in load is registered before the step, no request hits a cold replica, nothing is left after close', {
    timeout: 300_000,
  }, async () => {
    const registeredAtMs = new Map<string, number>();
    const lb = new LoadBalancerServer({
      token: TOKEN,
      pool: { slowStartMs: 0 },
      health: { intervalMs: 500 },
      log: (e) => {
        if (e['event'] === 'replica-registered' && typeof e['replicaId'] === 'string')
          registeredAtMs.set(e['replicaId'], Date.now());
      },
    });
    const { url: lbUrl } = await lb.listen();
    const provider = new LocalProcessProvider({
      agentBinPath: agentBinPath(),
      runDir: join(world.dir, 'run'),
      models: [
        {
          model: MODEL,
          agentArgs: [...world.agentArgs, '--max-concurrency', '1'],
          lbUrl,
          lbToken: TOKEN,
          provisionDelayMs: 200,
          drainTimeoutMs: 3_000,
        },
      ],
    });
    const pids: Array<number | undefined> = [];
    const shapes = [
      { batch: 1, seq: 8 },
      { batch: 2, seq: 8 },
    ];
    const slice = (perSecond: number[], seed: number) =>
      new TraceLoadGenerator({
        targetUrl: lbUrl,
        model: MODEL,
        trace: parseTraceCsv(`t,count\n${perSecond.map((c, t) => `${t},${c}`).join('\n')}\n`, 'step.csv'),
        arrival: 'uniform',
        seed,
        shapes,
        maxConcurrency: 16,
        timeLimitMs: 120_000,
      });
    try {
      await provider.scale({
        model: MODEL,
        replicas: 1,
        idempotencyKey: 'e2e-1',
        reason: 'e2e',
        message: 'first replica',
      });
      const one = await provider.waitUntilReady(MODEL, 120_000);
      expect(one.replicas[0]!.registered).toBe(true);

      // Ahead of the step (as the planner would, lead time before it): a second replica, while traffic runs.
      await provider.scale({
        model: MODEL,
        replicas: 2,
        idempotencyKey: 'e2e-2',
        reason: 'ForecastScaleAhead',
        message: 'step once it is ready',
      });
      let settled = false;
      const warming = provider.waitUntilReady(MODEL, 120_000).finally(() => (settled = true));
      warming.catch(() => undefined); // awaited below
      const records: RequestRecord[] = [];
      const results = [];
      for (let i = 0; i < 150 && !settled; i++) {
        const r = await slice([10], 11 + i).run();
        results.push(r);
        records.push(...r.records);
      }
      const two = await warming;
      for (const r of two.replicas) pids.push(r.pid);
      const stepAt = Date.now();
      const step = slice([40, 40, 40], 7);
      const result = await step.run();
      results.push(result);
      records.push(...result.records);

      const added = two.replicas.find((r) => r.id !== one.replicas[0]!.id)!;
      expect(added.phase).toBe('ready');
      // Stage timestamps are in order, the provisioning delay included.
      expect(added.processStartedAtMs! - added.requestedAtMs).toBeGreaterThanOrEqual(200);
      expect(added.warmingAtMs!).toBeGreaterThanOrEqual(added.processStartedAtMs!);
      expect(added.readyAtMs!).toBeGreaterThanOrEqual(added.warmingAtMs!);
      // Ready (registered with the load balancer) before the step.
      expect(registeredAtMs.get(added.id)).toBeDefined();
      expect(registeredAtMs.get(added.id)!).toBeLessThan(stepAt);
      expect(added.readyAtMs!).toBeLessThan(stepAt);

      // Every request answered, by a registered replica, after its registration; both replicas served after the step.
      for (const r of results) {
        expect(r.stoppedBy).toBe('completed');
        expect(r.summary.errors).toBe(0);
      }
      expect(result.records.length).toBe(step.arrivals.length);
      expect(countColdHits(records, registeredAtMs)).toBe(0);
      expect(new Set(result.records.map((r) => r.replicaId))).toEqual(new Set(two.replicas.map((r) => r.id)));
      // Each replica registered only after its warm-up converged (the agent's own log).
      for (const r of two.replicas) {
        const events = readFileSync(r.stdoutLog, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Record<string, unknown>);
        const warm = events.find((e) => e['event'] === 'warmup-finished');
        expect(warm).toMatchObject({ phase: 'ready', converged: true });
        const at = Date.parse(String(warm!['time'] ?? warm!['ts'])); // the log line's ISO time (pino: time)
        expect(Number.isFinite(at)).toBe(true);
        expect(at).toBeLessThanOrEqual(registeredAtMs.get(r.id)!);
      }
    } finally {
      await provider.close();
      await lb.close();
    }
    expect(pids.filter((p) => p !== undefined)).toHaveLength(2);
    expect(pids.filter((p) => alive(p))).toEqual([]);
    expect(lb.pool.list()).toHaveLength(0);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LoadBalancerServer } from '@warmpool/load-balancer';
import { TraceLoadGenerator, countColdHits, parseTraceCsv } from '@warmpool/loadgen';
import { LocalProcessProvider } from '../src/local-process-provider.js';
import { agentBinPath, alive, tempWorld } from './agent-fixture.js';

const MODEL = 'tiny-transformer';
const TOKEN = 'e2e-token';
const world = tempWorld('warmpool-local-e2e-');
afterAll(() => world.remove());

// The whole local path: load generator → real load balancer → agent processes (ONNX Runtime, tiny model).
describe('local world end to end', () => {
  it('a replica scaled ahead of a step in load is registered before the step, no request hits a cold replica, nothing is left after close', async () => {
    const registeredAtMs = new Map<string, number>();
    const lb = new LoadBalancerServer({
      token: TOKEN,
      pool: { slowStartMs: 0 },
      health: { intervalMs: 500 },
      log: (e) => {
        if (e['event'] === 'replica-registered' && typeof e['replicaId'] === 'string') registeredAtMs.set(e['replicaId'], Date.now());
      },
    });
    const { url: lbUrl } = await lb.listen();
    const provider = new LocalProcessProvider({
      agentBinPath: agentBinPath(),
      runDir: join(world.dir, 'run'),
      models: [{ model: MODEL, agentArgs: [...world.agentArgs, '--max-concurrency', '1'], lbUrl, lbToken: TOKEN, provisionDelayMs: 200, drainTimeoutMs: 3_000 }],
    });
    const pids: Array<number | undefined> = [];
    try {
      await provider.scale({ model: MODEL, replicas: 1, idempotencyKey: 'e2e-1', reason: 'e2e', message: 'first replica' });
      const one = await provider.waitUntilReady(MODEL, 15_000);
      expect(one.replicas[0]!.registered).toBe(true);

      // 4 s at 10 req/s, then a step to 40 req/s for 3 s.
      const trace = parseTraceCsv(`t,count\n${[10, 10, 10, 10, 40, 40, 40].map((c, t) => `${t},${c}`).join('\n')}\n`, 'step.csv');
      const gen = new TraceLoadGenerator({ targetUrl: lbUrl, model: MODEL, trace, arrival: 'uniform', seed: 11, shapes: [{ batch: 1, seq: 8 }, { batch: 2, seq: 8 }], maxConcurrency: 16, timeLimitMs: 20_000 });
      const running = gen.run();
      const stepAtMs = Date.now() + 4_000; // refined from the run's start below

      // Ahead of the step (as the planner would, lead time before it): a second replica.
      await new Promise((resolve) => setTimeout(resolve, 800));
      await provider.scale({ model: MODEL, replicas: 2, idempotencyKey: 'e2e-2', reason: 'ForecastScaleAhead', message: 'step at t=4 s' });
      const two = await provider.waitUntilReady(MODEL, 10_000);
      for (const r of two.replicas) pids.push(r.pid);
      const result = await running;
      const stepAt = result.startMs + 4_000;
      expect(Math.abs(stepAt - stepAtMs)).toBeLessThan(1_000);

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
      expect(result.stoppedBy).toBe('completed');
      expect(result.summary.errors).toBe(0);
      expect(result.records.length).toBe(gen.arrivals.length);
      expect(countColdHits(result.records, registeredAtMs)).toBe(0);
      const afterStep = result.records.filter((r) => r.sentAtMs >= stepAt);
      expect(new Set(afterStep.map((r) => r.replicaId))).toEqual(new Set(two.replicas.map((r) => r.id)));
      // Each replica registered only after its warm-up converged (the agent's own log).
      for (const r of two.replicas) {
        const events = readFileSync(r.stdoutLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
        const warm = events.find((e) => e['event'] === 'warmup-finished');
        expect(warm).toMatchObject({ phase: 'ready', converged: true });
        expect(Date.parse(String(warm!['ts']))).toBeLessThanOrEqual(registeredAtMs.get(r.id)!);
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

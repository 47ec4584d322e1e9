import { Agent } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ModelServer,
  roundsUntilConverged,
  type EncodingWarm,
  type Feeds,
  type ModelReplica,
  type WarmTarget,
  type WarmupSpec,
} from '@warmpool/warmup';
import { InferClient } from './warm-http-client.js';

const now = (): number => performance.now();

/** Latencies of one path: the first requests, the steady sample, the requests after a pause. */
export interface Samples {
  readonly first: number[];
  readonly steady: number[];
  readonly afterPause: number[];
}

type ServerWarm = (
  model: string,
  targets: readonly WarmTarget[],
  rounds: number,
  converge?: { spec: WarmupSpec; budgetMs: number },
) => Promise<{ requests: number; converged?: boolean; encodings?: readonly EncodingWarm[] }>;

export interface HttpWarmOutcome {
  readonly how: 'server' | 'converge' | 'custom' | undefined;
  readonly requests: number;
  readonly converged: boolean | undefined;
  readonly encodings: readonly EncodingWarm[] | undefined;
}

export interface HttpPlan {
  readonly firstN: number;
  readonly steadyN: number;
  readonly pauseMs: number;
  readonly spec: WarmupSpec;
  readonly rounds: number;
  readonly warmHttp: ((baseUrl: string, targets: readonly WarmTarget[]) => Promise<void>) | undefined;
  readonly feedsFor: (t: WarmTarget, seed: number) => Feeds;
  /** What is left of the spec's budget after warm-up (the HTTP warm's budget, as in serve). */
  readonly budgetLeftMs: number;
  readonly maxBodyBytes: number;
}

/**
 * The first requests and a steady sample over HTTP through the model server, end to end, per input set in the first
 * encoding a client could use for it (noted in `encodingOf`).
 */
export async function measureHttp(
  replica: ModelReplica,
  targets: readonly WarmTarget[],
  plan: HttpPlan,
  out: Map<WarmTarget, Samples>,
  encodingOf: Map<WarmTarget, string | undefined>,
): Promise<HttpWarmOutcome> {
  const server = new ModelServer({ replicas: [replica], maxBodyBytes: plan.maxBodyBytes });
  const { url } = await server.listen();
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const client = new InferClient(url, replica.name, agent, plan.maxBodyBytes);
    await client.probe();
    let warm: HttpWarmOutcome = { how: 'custom', requests: 0, converged: undefined, encodings: undefined };
    // The server's own request-path warm where it has one (duck-typed: older servers do not).
    const own = (server as unknown as { warmRequestPath?: ServerWarm }).warmRequestPath;
    if (plan.warmHttp) await plan.warmHttp(url, targets);
    else if (typeof own === 'function' && plan.rounds > 0) {
      // Exactly what serve runs before ready: the fixed rounds, then until converged within the budget left.
      const report = await own.call(server, replica.name, targets, plan.rounds, {
        spec: plan.spec,
        budgetMs: plan.budgetLeftMs,
      });
      warm = { how: 'server', requests: report.requests, converged: report.converged, encodings: report.encodings };
    } else warm = { how: 'converge', encodings: undefined, ...(await warmHttpUntilConverged(client, targets, plan)) };
    for (const t of targets) out.set(t, { first: [], steady: [], afterPause: [] });
    for (let i = 0; i < plan.firstN; i++)
      for (const t of targets) {
        out.get(t)!.first.push(await client.infer(plan.feedsFor(t, 1000 + i)));
        encodingOf.set(t, client.lastEncoding);
      }
    for (let i = 0; i < plan.steadyN; i++)
      for (const t of targets) out.get(t)!.steady.push(await client.infer(plan.feedsFor(t, 5000 + i)));
    if (plan.pauseMs > 0) {
      await sleep(plan.pauseMs);
      for (let i = 0; i < plan.firstN; i++)
        for (const t of targets) out.get(t)!.afterPause.push(await client.infer(plan.feedsFor(t, 7000 + i)));
    }
    return warm;
  } finally {
    agent.destroy();
    await server.close();
  }
}

/** JSON requests round-robin over the input sets until each set's latency converged (bounded by passes and the budget). */
async function warmHttpUntilConverged(
  client: InferClient,
  targets: readonly WarmTarget[],
  plan: HttpPlan,
): Promise<{ requests: number; converged: boolean }> {
  const clock = { nowMs: now };
  const r = await roundsUntilConverged(
    targets,
    (t) => t.label,
    (t, round) => client.infer(plan.feedsFor(t, 9000 + round)),
    plan.spec,
    clock,
    plan.spec.budgetMs,
  );
  return { requests: r.requests, converged: r.converged };
}

// One daemon of the chaos soak (bench/chaos-soak.js), a process of its own so it can be SIGKILLed. Options come as
// JSON in CHAOS_DAEMON. The daemon is the real one (Daemon, ModelLoop, planner, in-process queue, Redis lock with
// fencing, LocalProcessProvider with its state file and watchdog, checkpoints, decision file); only the replicas are
// stand-ins (bench/chaos-fake-agent.pl) and the demand is a function of time (bench/chaos-demand.js).
// Prints JSON lines on stdout: ready, elected, lost, tick (tick duration), stopped.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { createForecaster } from '@warmpool/forecast';
import { LocalProcessProvider } from '@warmpool/provider-local';
import { InProcessScaleQueue, RedisLeaderLock, systemClock } from '@warmpool/queue';
import { readWarmpoolConfig } from '../services/autoscaler/dist/config/read-warmpool-config.js';
import { RepeatedDecisionFilter } from '../services/autoscaler/dist/daemon/repeated-decision-filter.js';
import { FileCheckpointStore } from '../services/autoscaler/dist/daemon/checkpoint-store.js';
import { Daemon } from '../services/autoscaler/dist/daemon/daemon.js';
import { DecisionLog } from '../services/autoscaler/dist/daemon/decision-log.js';
import { FileSink } from '../services/autoscaler/dist/daemon/file-sink.js';
import { PerSecondDemandFeed } from '../services/autoscaler/dist/daemon/per-second-demand-feed.js';
import { RedisLockLeadership } from '../services/autoscaler/dist/daemon/redis-lock-leadership.js';
import { CAPACITY_PER_REPLICA_PER_S, demandPerS, modelName } from './chaos-demand.js';

// biome-ignore lint/suspicious/noUndeclaredEnvVars: CHAOS_DAEMON is the options object chaos-soak.js hands each daemon it spawns; the repo keeps no list of declared variables
const o = JSON.parse(process.env.CHAOS_DAEMON ?? '{}');
const here = new URL('.', import.meta.url).pathname;
const say = (e) =>
  process.stdout.write(`${JSON.stringify({ ...e, atMs: Date.now(), identity: o.identity, pid: process.pid })}\n`);

const models = Array.from({ length: o.models }, (_, i) => ({
  name: modelName(i),
  capacityPerReplicaPerS: CAPACITY_PER_REPLICA_PER_S,
  leadTime: { provisionS: o.provisionDelayMs / 1000, loadS: 0.5, warmupS: 0.5 },
  minWarmReplicas: 0,
  maxReplicas: 8,
  horizonS: 20,
  stepS: o.stepS,
  scaleDownStabilizationS: 60,
  target: { modelFile: 'chaos', provisionDelayMs: o.provisionDelayMs },
}));
const config = readWarmpoolConfig(
  {
    tickS: o.tickS,
    provider: { kind: 'local', loadBalancerUrl: 'http://127.0.0.1:9', runDir: o.runDir },
    models,
    decisionLog: { format: 'json' },
  },
  `chaos daemon ${o.identity}`,
  o.runDir,
  {},
);

const log = new DecisionLog([
  new RepeatedDecisionFilter(new FileSink(o.logFile, { maxBytes: 256 * 1024 * 1024, keepFiles: 2 }), {
    leaveOut: 'holds',
  }),
]);
const write = (r) => log.write(r);
const iso = () => new Date().toISOString();
const lock = new RedisLeaderLock({
  redisUrl: o.redisUrl,
  key: 'chaos:leader',
  holderId: o.identity,
  ttlMs: o.leaseMs,
  renewEveryMs: Math.floor(o.leaseMs / 5),
  clock: systemClock,
});
const leadership = new RedisLockLeadership(
  lock,
  (event, message) => {
    write({ kind: 'leader', time: iso(), event, message });
    say({ type: event, token: lock.fencingToken });
  },
  () => undefined,
);
const provider = new LocalProcessProvider({
  agentBinPath: join(here, 'chaos-fake-agent.pl'),
  nodePath: '/usr/bin/perl',
  runDir: o.runDir,
  // --chaos-run names the soak on the replicas' command lines, so a soak counts its own processes only
  models: config.models.map((m) => ({
    model: m.spec.name,
    agentArgs: ['--chaos-run', o.runTag ?? 'chaos'],
    lbUrl: 'http://127.0.0.1:9',
    lbToken: 'chaos',
    provisionDelayMs: o.provisionDelayMs,
    drainTimeoutMs: 2000,
    maxReplicas: 8,
  })),
  probeIntervalMs: 1000,
  log: (e) => {
    if (e.event === 'orphan-ended' || e.event === 'watchdog-error')
      write({ kind: 'daemon', time: iso(), event: String(e.event), message: JSON.stringify(e) });
  },
});
say({ type: 'reclaimed', ended: provider.reclaimed.ended.length, othersLive: provider.reclaimed.othersLive.length });
// The ledger: every scale that reached the provider, with the fencing token it was applied under.
const ledgered = {
  name: provider.name,
  getState: (m) => provider.getState(m),
  close: () => provider.close(),
  scale: async (request) => {
    await provider.scale(request);
    appendFileSync(
      o.ledgerFile,
      `${JSON.stringify({ atMs: Date.now(), identity: o.identity, pid: process.pid, token: lock.fencingToken, key: request.idempotencyKey, model: request.model, replicas: request.replicas })}\n`,
    );
  },
};
const index = new Map(config.models.map((m, i) => [m.spec.name, i]));
const perSecond = async (model, seconds) => {
  const i = index.get(model) ?? 1;
  const now = Math.floor(Date.now() / 1000);
  const counts = [];
  for (let s = now - seconds + 1; s <= now; s++) counts.push(demandPerS(i, s, o.demand));
  return { startMs: (now - seconds + 1) * 1000, counts };
};
const daemon = new Daemon(config, {
  clock: systemClock,
  provider: ledgered,
  queue: new InProcessScaleQueue({ attempts: 3, backoffBaseMs: 200 }),
  history: undefined,
  demandFeed: (m, tickS) => new PerSecondDemandFeed(m.spec.name, m.stepS, tickS, perSecond),
  leadership,
  log,
  makeForecaster: (quantile, stepS) =>
    createForecaster('ensemble', { quantile, stepS, dayS: Math.max(2 * stepS, o.demand?.periodS ?? 300) }),
  checkpoint: new FileCheckpointStore(o.checkpointFile),
  checkpointEveryMs: o.checkpointEveryMs ?? 15_000,
});
let stopping = false;
const stop = async (why) => {
  if (stopping) return;
  stopping = true;
  await daemon.stop(why);
  say({ type: 'stopped' });
  process.exit(0);
};
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
await daemon.start();
say({ type: 'ready' });
// Memory, for the soak's growth judgement: process.memoryUsage() every `memoryEveryMs`, and the JS heap in use just
// after each major (mark-compact) GC, which tells heap growth from allocator and GC sizing.
let heapAfterGcBytes;
new PerformanceObserver((list) => {
  if (list.getEntries().some((e) => e.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR))
    heapAfterGcBytes = process.memoryUsage().heapUsed;
}).observe({ entryTypes: ['gc'] });
setInterval(() => {
  const m = process.memoryUsage();
  say({
    type: 'memory',
    rss: m.rss,
    heapTotal: m.heapTotal,
    heapUsed: m.heapUsed,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
    heapAfterGc: heapAfterGcBytes,
  });
}, o.memoryEveryMs ?? 5000).unref();

import { basename } from 'node:path';
import {
  frontierSweeps,
  perSecondDemand,
  POLICIES,
  renderFrontierPoints,
  renderFrontierSummary,
  simConfigFor,
  simulatePolicies,
  sweepFrontier,
  type FrontierReport,
  type SimResult,
} from '@warmpool/sim';
import type { CommandSpec } from '@warmpool/telemetry';
import { choiceFlag, numberFlag, parseFlags, requiredString, type FlagValues } from './parse-flags.js';
import { readTraceFile } from './read-trace-file.js';
import { formatTable } from './format-table.js';
import { UsageError } from './usage-error.js';

export const SIMULATE_COMMAND: CommandSpec = {
  name: 'warmpool simulate',
  summary:
    'every scaling policy (or --policy) on a trace in the simulator: violating requests, late requests (latency SLO), cost',
  options: {
    trace: { type: 'string', value: 'FILE', required: true, help: 'trace CSV (t,count)' },
    policy: { type: 'string', value: 'NAME|all', default: 'all', help: 'policies, comma-separated' },
    'lead-s': {
      type: 'string',
      value: 'S',
      default: 45,
      help: 'lead time from scale-up to warm (or the three stages below)',
    },
    'provision-s': { type: 'string', value: 'S', help: 'lead time stage: provisioning' },
    'load-s': { type: 'string', value: 'S', help: 'lead time stage: model load' },
    'warmup-s': { type: 'string', value: 'S', help: 'lead time stage: warm-up' },
    'peak-replicas': { type: 'string', value: 'N', default: 20, help: 'replicas the busiest second needs' },
    'target-util': { type: 'string', value: 'U', default: 0.7, help: 'target utilization, 0.01-1' },
    'min-warm': { type: 'string', value: 'N', default: 1, help: 'replicas always warm' },
    queue: { type: 'boolean', help: 'requests above capacity wait instead of being counted' },
    interp: {
      type: 'string',
      value: 'uniform|linear',
      default: 'uniform',
      help: 'spreading of a bin over its seconds',
    },
    'latency-target-ms': { type: 'string', value: 'MS', default: 500, help: 'latency SLO of the queueing model' },
    'service-ms': { type: 'string', value: 'MS', default: 250, help: 'service time per request (at most the target)' },
    frontier: {
      type: 'boolean',
      help: "sweep every policy's knob (predictive's risk, HPA/KPA/AWS target utilization, recent-max's window and headroom) and compare predictive's default with the best baseline at no more cost",
    },
    json: { type: 'boolean', help: 'JSON instead of the table' },
  },
};

/** Lead time from `--lead-s` or the sum of the per-stage flags (not both). */
function leadFromFlags(v: FlagValues): number {
  const stages = ['provision-s', 'load-s', 'warmup-s'].filter((s) => v[s] !== undefined);
  if (stages.length > 0 && v['lead-s'] !== undefined) {
    throw new UsageError(`--lead-s and per-stage flags (${stages.map((s) => `--${s}`).join(', ')}) exclude each other`);
  }
  if (stages.length === 0) return numberFlag(v, 'lead-s', 45, { min: 0, max: 86400, integer: true });
  const sum =
    numberFlag(v, 'provision-s', 0, { min: 0, max: 86400, integer: true }) +
    numberFlag(v, 'load-s', 0, { min: 0, max: 86400, integer: true }) +
    numberFlag(v, 'warmup-s', 0, { min: 0, max: 86400, integer: true });
  return sum;
}

export function simulate(argv: readonly string[], out: (s: string) => void): number {
  const v = parseFlags(SIMULATE_COMMAND, argv);
  const file = requiredString(v, 'trace');
  const policyArg = typeof v.policy === 'string' ? v.policy : 'all';
  const names = policyArg === 'all' ? Object.keys(POLICIES) : policyArg.split(',');
  for (const n of names) {
    if (!POLICIES[n]) throw new UsageError(`--policy: got "${n}", allowed: ${Object.keys(POLICIES).join(', ')}, all`);
  }
  const leadS = leadFromFlags(v);
  const peakReplicas = numberFlag(v, 'peak-replicas', 20, { min: 1, max: 100000, integer: true });
  const targetUtil = numberFlag(v, 'target-util', 0.7, { min: 0.01, max: 1 });
  const minReplicas = numberFlag(v, 'min-warm', 1, { min: 0, max: 100000, integer: true });
  const interp = choiceFlag(v, 'interp', ['uniform', 'linear'] as const, 'uniform');
  const latencyTargetMs = numberFlag(v, 'latency-target-ms', 500, { min: 1, max: 3_600_000 });
  const serviceMs = numberFlag(v, 'service-ms', Math.min(250, latencyTargetMs), { min: 0, max: latencyTargetMs });
  if (v.frontier === true && v.policy !== undefined)
    throw new UsageError('--frontier sweeps every policy: leave out --policy');
  const trace = readTraceFile(file);
  const demand = perSecondDemand(trace, interp);
  const config = simConfigFor(demand, trace.binS, {
    leadS,
    peakReplicas,
    targetUtil,
    minReplicas,
    queue: v.queue === true,
    latencyTargetMs,
    serviceMs,
  });
  if (v.frontier === true) {
    const report = sweepFrontier(demand, config, frontierSweeps(), POLICIES['oracle']!, { traceName: basename(file) });
    out(
      v.json === true
        ? JSON.stringify(report, (_k, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x), 2)
        : renderFrontier(report),
    );
    return 0;
  }
  const results = simulatePolicies(demand, config, names, POLICIES, { traceName: basename(file) });
  out(v.json === true ? JSON.stringify(results.map(roundResult), null, 2) : renderTable(results));
  return 0;
}

function roundResult(r: SimResult): SimResult {
  const k = (x: number, d = 6) => (Number.isFinite(x) ? Number(x.toFixed(d)) : x);
  return {
    ...r,
    totalRequests: k(r.totalRequests, 3),
    violatingRequests: k(r.violatingRequests, 3),
    sloViolatingRequests: k(r.sloViolatingRequests, 3),
    sloViolatingFraction: k(r.sloViolatingFraction, 8),
    violatingFraction: k(r.violatingFraction, 8),
    replicaSeconds: k(r.replicaSeconds, 3),
    costVsOracle: k(r.costVsOracle, 4),
    simMs: k(r.simMs, 1),
  };
}

function renderFrontier(r: FrontierReport): string {
  return `${renderFrontierSummary([r])}\n${renderFrontierPoints([r])}\nfluid: requests above the ready capacity in their second; latency SLO: requests whose wait + service time exceeds the target (queueing model). Cost x oracle = replica-seconds over the oracle's (${r.oracleReplicaSeconds.toFixed(0)}).`;
}

export function renderTable(results: readonly SimResult[]): string {
  const head = [
    'trace',
    'policy',
    'requests',
    'violating',
    'viol %',
    'late (SLO)',
    'replica-s',
    'cost/oracle',
    'scale-ups',
    'max replicas',
  ];
  const rows = results.map((r) => [
    r.trace,
    r.policy,
    r.totalRequests,
    r.violatingRequests,
    r.violatingFraction * 100,
    r.sloViolatingRequests,
    r.replicaSeconds,
    r.costVsOracle,
    r.scaleUps,
    r.maxReplicas,
  ]);
  const r0 = results[0];
  const note = r0 ? `\nlead ${r0.leadS} s, capacity ${r0.capacityPerReplicaPerS.toPrecision(4)} req/s per replica` : '';
  return formatTable([head, ...rows]) + note;
}

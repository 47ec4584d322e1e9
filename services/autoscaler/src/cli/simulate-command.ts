import { basename } from 'node:path';
import { frontierSweeps, perSecondDemand, POLICIES, renderFrontierPoints, renderFrontierSummary, simConfigFor, simulatePolicies, sweepFrontier, type FrontierReport, type SimResult } from '@warmpool/sim';
import { choiceFlag, numberFlag, parseFlags, requiredString } from './parse-flags.js';
import { readTraceFile } from './read-trace-file.js';
import { formatTable } from './format-table.js';
import { UsageError } from './usage-error.js';

export const SIMULATE_USAGE = `warmpool simulate --trace FILE [--policy NAME|all] [--lead-s 45 | --provision-s S --load-s S --warmup-s S]
                  [--peak-replicas 20] [--target-util 0.7] [--min-warm 1] [--queue] [--interp uniform|linear] [--json]
                  [--latency-target-ms 500] [--service-ms 250] [--frontier]
  --frontier sweeps every policy's knob (predictive's risk, HPA/KPA/AWS target utilization, recent-max's window and
  headroom) and compares predictive's default with the best baseline at no more cost (fluid and latency-SLO counts)`;

const FLAGS = {
  trace: { type: 'string' },
  policy: { type: 'string' },
  'lead-s': { type: 'string' },
  'provision-s': { type: 'string' },
  'load-s': { type: 'string' },
  'warmup-s': { type: 'string' },
  'peak-replicas': { type: 'string' },
  'target-util': { type: 'string' },
  'min-warm': { type: 'string' },
  queue: { type: 'boolean' },
  interp: { type: 'string' },
  json: { type: 'boolean' },
  frontier: { type: 'boolean' },
  'latency-target-ms': { type: 'string' },
  'service-ms': { type: 'string' },
} as const;

/** Lead time from `--lead-s` or the sum of the per-stage flags (not both). */
function leadFromFlags(v: Record<string, string | boolean | undefined>): number {
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
  const v = parseFlags('simulate', argv, FLAGS);
  const file = requiredString(v, 'simulate', 'trace');
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
  if (v.frontier === true && v.policy !== undefined) throw new UsageError('--frontier sweeps every policy: leave out --policy');
  const trace = readTraceFile(file);
  const demand = perSecondDemand(trace, interp);
  const config = simConfigFor(demand, trace.binS, { leadS, peakReplicas, targetUtil, minReplicas, queue: v.queue === true, latencyTargetMs, serviceMs });
  if (v.frontier === true) {
    const report = sweepFrontier(demand, config, frontierSweeps(), POLICIES['oracle']!, { traceName: basename(file) });
    out(v.json === true ? JSON.stringify(report, (_k, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x), 2) : renderFrontier(report));
    return 0;
  }
  const results = simulatePolicies(demand, config, names, POLICIES, { traceName: basename(file) });
  out(v.json === true ? JSON.stringify(results.map(roundResult), null, 2) : renderTable(results));
  return 0;
}

function roundResult(r: SimResult): SimResult {
  const k = (x: number, d = 6) => (Number.isFinite(x) ? Number(x.toFixed(d)) : x);
  return { ...r, totalRequests: k(r.totalRequests, 3), violatingRequests: k(r.violatingRequests, 3), sloViolatingRequests: k(r.sloViolatingRequests, 3), sloViolatingFraction: k(r.sloViolatingFraction, 8), violatingFraction: k(r.violatingFraction, 8), replicaSeconds: k(r.replicaSeconds, 3), costVsOracle: k(r.costVsOracle, 4), simMs: k(r.simMs, 1) };
}

function renderFrontier(r: FrontierReport): string {
  return `${renderFrontierSummary([r])}\n${renderFrontierPoints([r])}\nfluid: requests above the ready capacity in their second; latency SLO: requests whose wait + service time exceeds the target (queueing model). Cost x oracle = replica-seconds over the oracle's (${r.oracleReplicaSeconds.toFixed(0)}).`;
}

export function renderTable(results: readonly SimResult[]): string {
  const head = ['trace', 'policy', 'requests', 'violating', 'viol %', 'late (SLO)', 'replica-s', 'cost/oracle', 'scale-ups', 'max replicas'];
  const rows = results.map((r) => [r.trace, r.policy, r.totalRequests, r.violatingRequests, r.violatingFraction * 100, r.sloViolatingRequests, r.replicaSeconds, r.costVsOracle, r.scaleUps, r.maxReplicas]);
  const r0 = results[0];
  const note = r0 ? `\nlead ${r0.leadS} s, capacity ${r0.capacityPerReplicaPerS.toPrecision(4)} req/s per replica` : '';
  return formatTable([head, ...rows]) + note;
}

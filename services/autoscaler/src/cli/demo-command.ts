import { basename, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { createForecaster } from '@warmpool/forecast';
import type { Decision, ModelSpec } from '@warmpool/domain';
import {
  perSecondDemand,
  POLICIES,
  predictivePolicy,
  simConfigFor,
  simulatePolicies,
  runSimulation,
} from '@warmpool/sim';
import { DecisionWriter } from '../decision-log/decision-writer.js';
import { toDecisionRecord } from '../decision-log/decision-record.js';
import type { CommandSpec } from '@warmpool/telemetry';
import { choiceFlag, numberFlag, parseFlags } from './parse-flags.js';
import { readTraceFile } from './read-trace-file.js';
import { renderTable } from './simulate-command.js';

const here = fileURLToPath(new URL('.', import.meta.url));
/** The bundled real trace the demo replays (Azure LLM inference, 1-s bins, 58 min). */
export const DEMO_TRACE = resolve(here, '../../../../fixtures/traces/azure_llm_conv_1s.csv');

export const DEMO_COMMAND: CommandSpec = {
  name: 'warmpool demo',
  summary:
    'the planner alone on a trace (simulator, no processes): its decisions as they are made, then every policy compared',
  options: {
    trace: { type: 'string', value: 'FILE', default: 'the bundled Azure LLM trace', help: 'trace CSV' },
    speed: { type: 'string', value: 'X', default: 120, help: 'replay speed, 1-1000000' },
    format: {
      type: 'string',
      value: 'auto|json|text',
      default: 'auto',
      help: 'decision lines: JSON when not a terminal',
    },
    'no-pace': { type: 'boolean', help: 'print the decisions at once instead of at replay speed' },
  },
};

/**
 * `warmpool demo`: the simulator replay (no processes): a bundled real trace (time-compressed) through the planner,
 * printing every scale decision as it is made, then compares with the reactive baselines and the oracle.
 */
export async function demo(argv: readonly string[], out: (s: string) => void): Promise<number> {
  const v = parseFlags(DEMO_COMMAND, argv);
  const file = typeof v.trace === 'string' ? v.trace : DEMO_TRACE;
  const speed = numberFlag(v, 'speed', 120, { min: 1, max: 1e6 });
  const format = choiceFlag(v, 'format', ['auto', 'json', 'text'] as const, 'auto');
  const trace = readTraceFile(file);
  const demand = perSecondDemand(trace, 'uniform');
  const config = simConfigFor(demand, trace.binS, {});
  const decisions: { d: Decision; spec: ModelSpec }[] = [];
  const factory = predictivePolicy({
    makeForecaster: (quantile, stepS) => createForecaster('ensemble', { quantile, stepS }),
    modelName: 'llm-chat',
    onDecision: (d, spec) => {
      if (d.action !== 'hold') decisions.push({ d, spec });
    },
  });
  runSimulation(demand, config, factory, { traceName: basename(file) });
  out(
    `warmpool demo: replaying ${basename(file)} (${(demand.length / 60).toFixed(0)} min of real traffic) at ${speed}x through the planner.\n` +
      `Each replica serves ${config.capacityPerS.toFixed(2)} req/s and takes ${config.leadS} s from request to warm; ` +
      `the planner scales one lead time ahead of predicted demand. Decisions:\n`,
  );
  const writer = new DecisionWriter(process.stdout, format);
  const t0 = Date.now();
  const pace = v['no-pace'] !== true;
  for (const { d, spec } of decisions) {
    if (pace) {
      const due = t0 + (d.atS * 1000) / speed;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
    }
    writer.write(toDecisionRecord(d, (s) => new Date(t0 + s * 1000), spec));
  }
  const names = Object.keys(POLICIES).filter((n) => n !== 'static');
  const results = simulatePolicies(demand, config, names, POLICIES, { traceName: basename(file) });
  out(
    `\nSame trace, every policy (violating = requests above ready capacity; cost = replica-seconds):\n${renderTable(results)}`,
  );
  return 0;
}

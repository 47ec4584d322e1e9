import type { Decision, ModelSpec } from '@warmpool/domain';

/** One decision as logged: a single JSON line a person can grep and a program can replay. */
export interface DecisionRecord {
  readonly time: string;
  readonly model: string;
  readonly action: Decision['action'];
  readonly from: number;
  readonly to: number;
  readonly reasons: Decision['reasons'];
  readonly message: string;
  readonly observedPerS: number | null;
  readonly forecastP50PerS: number | null;
  readonly forecastUpperPerS: number | null;
  /** Band quantile planned with (tuned upward from the spec's under SLA pressure); null without a forecast. */
  readonly bandQuantile: number | null;
  readonly leadTimeS: number;
  readonly windowStartS: number;
  readonly windowEndS: number;
  readonly sla?: {
    readonly latencyTargetP95Ms: number;
    readonly capacityPerReplicaPerS: number;
    readonly minWarmReplicas: number;
    readonly maxReplicas: number;
  };
}

const num = (v: number, digits = 3): number | null => (Number.isFinite(v) ? Number(v.toFixed(digits)) : null);

/** `timeOf` turns the decision's clock (epoch seconds in the daemon, trace seconds in a replay) into ISO time. */
export function toDecisionRecord(d: Decision, timeOf: (atS: number) => Date, spec?: ModelSpec): DecisionRecord {
  return {
    time: timeOf(d.atS).toISOString(),
    model: d.model,
    action: d.action,
    from: d.from,
    to: d.to,
    reasons: d.reasons,
    message: d.message,
    observedPerS: num(d.observedPerS),
    forecastP50PerS: num(d.forecastP50PerS),
    forecastUpperPerS: num(d.forecastUpperPerS),
    bandQuantile: num(d.bandQuantile, 4),
    leadTimeS: d.leadTimeS,
    windowStartS: d.windowStartS,
    windowEndS: d.windowEndS,
    ...(spec
      ? {
          sla: {
            latencyTargetP95Ms: spec.latencyTargetP95Ms,
            capacityPerReplicaPerS: spec.capacityPerReplicaPerS,
            minWarmReplicas: spec.minWarmReplicas,
            maxReplicas: spec.maxReplicas,
          },
        }
      : {}),
  };
}

/** The readable form for a terminal: time, model, action with arrow, reasons, message. */
export function formatDecisionLine(r: DecisionRecord): string {
  const arrow = r.action === 'scale-up' ? '↑' : r.action === 'scale-down' ? '↓' : '=';
  const t = r.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  return `${t}  ${r.model.padEnd(12)} ${arrow} ${String(r.from).padStart(3)} -> ${String(r.to).padEnd(3)} [${r.reasons.join(',')}] ${r.message}`;
}

import type { DaemonDecisionRecord, DaemonLogRecord, OutcomeRecord } from '../daemon/daemon-record.js';
import { formatTable } from './format-table.js';

export interface ViewFilter {
  readonly model?: string;
  /** Records at or after this epoch ms. */
  readonly sinceMs?: number;
  /** Include plain holds (acted none); by default only decisions that changed or tried something. */
  readonly all?: boolean;
}

const MAX_MODELS_SEEN = 10_000;

const HEADER = [
  'TIME',
  'MODEL',
  'ACTION',
  'FROM->TO',
  'REASONS',
  'OBS/S',
  'P50/S',
  'UPPER/S',
  'LEAD S',
  'ACTED',
  'OUTCOME',
] as const;

function n(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '-' : Number.isInteger(v) ? String(v) : v.toFixed(2);
}

function shortTime(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** Joins decisions with their outcome follow-ups and renders the readable table of `warmpool decisions`. */
export class DecisionView {
  private readonly rows: DaemonLogRecord[] = [];
  private readonly outcomes = new Map<string, OutcomeRecord>();
  /** Models named by any record (bounded: a log of more models keeps the first MAX_MODELS_SEEN). */
  private readonly modelsSeen = new Set<string>();

  constructor(private readonly filter: ViewFilter = {}) {}

  /** Whether a record is shown (the model and time filters; holds only with `all`). */
  accepts(r: DaemonLogRecord): boolean {
    if (this.filter.model !== undefined && r.model !== this.filter.model) return false;
    if (this.filter.sinceMs !== undefined && Date.parse(r.time) < this.filter.sinceMs) return false;
    if (r.kind === 'decision') return this.filter.all === true || r.action !== 'hold' || r.acted !== 'none';
    if (r.kind === 'outcome') return true;
    if (r.kind === 'job') return r.event === 'failed' || r.event === 'retrying' || r.event === 'skipped';
    return r.kind === 'error' || r.kind === 'config' || r.kind === 'leader';
  }

  add(r: DaemonLogRecord): void {
    if (typeof r.model === 'string' && this.modelsSeen.size < MAX_MODELS_SEEN) this.modelsSeen.add(r.model);
    if (r.kind === 'outcome') {
      this.outcomes.set(r.ref, r);
      return;
    }
    if (this.accepts(r)) this.rows.push(r);
  }

  /** Whether any record added so far names `model` (filtered out or not). */
  hasModel(model: string): boolean {
    return this.modelsSeen.has(model);
  }

  models(): string[] {
    return [...this.modelsSeen].sort();
  }

  outcomeOf(id: string): string {
    const o = this.outcomes.get(id);
    if (!o) return '';
    return o.observedPeakPerS !== null
      ? `${o.outcome} (${n(o.observedPeakPerS)}/s vs ${n(o.capacityBeforePerS)}/s)`
      : o.outcome;
  }

  /** One table row per record. */
  row(r: DaemonLogRecord): string[] {
    if (r.kind === 'decision') return this.decisionRow(r);
    if (r.kind === 'job')
      return [
        shortTime(r.time),
        r.model ?? '-',
        `job ${r.event}`,
        r.replicas === null ? '' : `->${r.replicas}`,
        r.error?.code ?? '',
        '',
        '',
        '',
        '',
        '',
        r.message,
      ];
    if (r.kind === 'outcome')
      return [
        shortTime(r.time),
        r.model,
        'outcome',
        `${r.from}->${r.to}`,
        r.ref,
        '',
        '',
        '',
        '',
        '',
        this.outcomeOf(r.ref),
      ];
    return [
      shortTime(r.time),
      r.model ?? '-',
      `${r.kind} ${r.event}`,
      '',
      r.error?.code ?? '',
      '',
      '',
      '',
      '',
      '',
      r.message + (r.issues?.length ? ` [${r.issues.join('; ')}]` : ''),
    ];
  }

  private decisionRow(d: DaemonDecisionRecord): string[] {
    const marks = d.action === 'scale-up' ? '↑' : d.action === 'scale-down' ? '↓' : '=';
    const acted = d.acted + (d.error ? ` ${d.error.code}` : '');
    return [
      shortTime(d.time),
      d.model,
      `${marks} ${d.action}`,
      `${d.from}->${d.to}`,
      d.reasons.join(','),
      n(d.observedPerS),
      n(d.forecastP50PerS),
      n(d.forecastUpperPerS),
      n(d.leadTimeS),
      acted,
      d.action === 'scale-up' ? this.outcomeOf(d.id) || 'pending' : '',
    ];
  }

  header(): string[] {
    return [...HEADER];
  }

  /** The whole table (header + rows), or a line saying nothing matched. */
  render(): string {
    if (this.rows.length === 0) return 'no decisions match';
    return formatTable([this.header(), ...this.rows.map((r) => this.row(r))]);
  }

  /** For --follow: a record as one line with the table's column widths (roughly). */
  line(r: DaemonLogRecord): string {
    return this.row(r)
      .filter((c) => c !== '')
      .join('  ');
  }

  get size(): number {
    return this.rows.length;
  }
}

/** Reads a record out of a JSON object; undefined when it is not one of the daemon's records. */
export function asRecord(v: unknown): DaemonLogRecord | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const r = v as Record<string, unknown>;
  if (typeof r.time !== 'string' || Number.isNaN(Date.parse(r.time))) return undefined;
  if (r.kind === 'decision' && typeof r.model === 'string' && typeof r.action === 'string' && typeof r.id === 'string')
    return r as unknown as DaemonLogRecord;
  if (r.kind === 'outcome' && typeof r.ref === 'string') return r as unknown as DaemonLogRecord;
  if (['job', 'daemon', 'leader', 'config', 'error', 'fleet'].includes(String(r.kind)))
    return r as unknown as DaemonLogRecord;
  return undefined;
}

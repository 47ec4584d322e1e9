import { writeFile } from 'node:fs/promises';
import { ValidationError, WarmpoolError, type ValidationIssue } from '@warmpool/domain';
import { formatCommandUsage, packageVersion, parseCommandLine, type CommandSpec } from '@warmpool/telemetry';
import type { ArrivalProcess } from './arrival-schedule.js';
import { parseShapes, type RequestShape } from './request-shape.js';
import { readTraceCsv, sliceTrace } from './trace-csv.js';
import { TraceLoadGenerator } from './trace-load-generator.js';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

const processIo: CliIo = {
  out: (t) => void process.stdout.write(`${t}\n`),
  err: (t) => void process.stderr.write(`${t}\n`),
};

export const LOADGEN_COMMAND: CommandSpec = {
  name: 'warmpool-loadgen',
  summary:
    'replay a request trace against the local load balancer: a summary (requests, p50/p95/p99, errors, per-window p95, spike windows)',
  options: {
    trace: { type: 'string', value: 'FILE', required: true, help: 'CSV "t,count"' },
    model: { type: 'string', value: 'M', required: true, help: 'the model name the load balancer serves' },
    url: { type: 'string', value: 'URL', default: 'http://127.0.0.1:8080', help: 'the load balancer' },
    'from-s': { type: 'string', value: 'S', help: 'trace second to start at' },
    'duration-s': { type: 'string', value: 'S', help: 'trace seconds replayed' },
    speed: { type: 'string', value: 'X', default: 1, help: 'trace seconds per wall second' },
    scale: { type: 'string', value: 'F', help: 'requests per trace count (or --peak-rps)' },
    'peak-rps': { type: 'string', value: 'R', help: 'requests per second at the busiest bin (or --scale)' },
    arrival: { type: 'string', value: 'poisson|uniform', default: 'poisson', help: 'arrivals within a bin' },
    seed: { type: 'string', value: 'N', help: 'random seed' },
    shapes: { type: 'string', value: '1x8,2x16', help: 'request shapes, cycled' },
    concurrency: { type: 'string', value: 'N', help: 'requests in flight at most' },
    'max-requests': { type: 'string', value: 'N', help: 'stop after N requests' },
    'time-limit-s': { type: 'string', value: 'S', default: 600, help: 'stop after S wall seconds' },
    'timeout-ms': { type: 'string', value: 'MS', help: 'per request' },
    'target-ms': { type: 'string', value: 'MS', help: 'latency target: violations and spike windows over it' },
    'window-s': { type: 'string', value: 'S', help: 'window of the per-window p95' },
    records: { type: 'string', value: 'FILE', help: 'one JSON line per request' },
    json: { type: 'boolean', help: 'the summary as JSON' },
  },
  notes: 'exit codes: 0 done, 1 unexpected failure, 2 bad arguments or trace',
};

/** `warmpool-loadgen --help`, generated from the option table that parses the arguments. */
export const HELP = formatCommandUsage(LOADGEN_COMMAND);

export interface CliOptions {
  readonly trace: string;
  readonly model: string;
  readonly url: string;
  readonly fromS?: number;
  readonly durationS?: number;
  readonly speedX?: number;
  readonly scale?: number;
  readonly peakPerS?: number;
  readonly arrival?: ArrivalProcess;
  readonly seed?: number;
  readonly shapes?: RequestShape[];
  readonly maxConcurrency?: number;
  readonly maxRequests?: number;
  readonly timeLimitMs: number;
  readonly requestTimeoutMs?: number;
  readonly latencyTargetMs?: number;
  readonly windowS?: number;
  readonly recordsFile?: string;
  readonly json: boolean;
}

/** Parses the arguments; every problem at once in one ValidationError. */
export function parseCliArgs(argv: readonly string[]): CliOptions {
  const parsed = parseCommandLine(LOADGEN_COMMAND, argv, { collect: true });
  const issues: ValidationIssue[] = parsed.problems.map((p) => ({ path: p.where, value: p.found, allowed: p.allowed }));
  const values = new Map<string, string>(
    Object.entries(parsed.values).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
  const json = parsed.values.json === true;
  const number = (key: string, min: number, max: number): number | undefined => {
    const s = values.get(key);
    if (s === undefined) return undefined;
    const n = Number(s);
    if (!Number.isFinite(n) || n < min || n > max) {
      issues.push({ path: `--${key}`, value: s, allowed: `a number in [${min}, ${max}]` });
      return undefined;
    }
    return n;
  };
  const trace = values.get('trace');
  const model = values.get('model');
  const arrival = values.get('arrival');
  if (arrival !== undefined && arrival !== 'poisson' && arrival !== 'uniform')
    issues.push({ path: '--arrival', value: arrival, allowed: 'poisson or uniform' });
  let shapes: RequestShape[] | undefined;
  const shapesText = values.get('shapes');
  if (shapesText !== undefined) {
    try {
      shapes = parseShapes(shapesText, '--shapes');
    } catch (e) {
      if (e instanceof ValidationError) issues.push(...e.issues);
      else throw e;
    }
  }
  if (values.has('scale') && values.has('peak-rps'))
    issues.push({
      path: '--peak-rps',
      value: values.get('peak-rps'),
      allowed: 'either --scale or --peak-rps, not both',
    });
  const opts: CliOptions = {
    trace: trace ?? '',
    model: model ?? '',
    url: values.get('url') ?? 'http://127.0.0.1:8080',
    fromS: number('from-s', 0, 1e12),
    durationS: number('duration-s', 0, 1e12),
    speedX: number('speed', 1e-3, 1e6),
    scale: number('scale', 0, 1e6),
    peakPerS: number('peak-rps', 1e-3, 1e5),
    ...(arrival === 'poisson' || arrival === 'uniform' ? { arrival } : {}),
    seed: number('seed', 0, 2 ** 32 - 1),
    shapes,
    maxConcurrency: number('concurrency', 1, 10_000),
    maxRequests: number('max-requests', 0, 10_000_000),
    timeLimitMs: Math.round((number('time-limit-s', 0.001, 86_400) ?? 600) * 1000),
    requestTimeoutMs: number('timeout-ms', 1, 3_600_000),
    latencyTargetMs: number('target-ms', 0, 3_600_000),
    windowS: number('window-s', 0.001, 86_400),
    recordsFile: values.get('records'),
    json,
  };
  if (issues.length > 0) throw new ValidationError(issues, 'arguments');
  return opts;
}

/** Entry point of bin/loadgen.js. Returns the exit code; never throws. */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const asked = parseCommandLine(LOADGEN_COMMAND, argv, { collect: true });
  if (asked.version) {
    io.out(`warmpool-loadgen ${packageVersion(import.meta.url)}`);
    return 0;
  }
  if (asked.help || argv.length === 0) {
    (argv.length === 0 ? io.err : io.out)(HELP);
    return argv.length === 0 ? 2 : 0;
  }
  try {
    const o = parseCliArgs(argv);
    let trace = await readTraceCsv(o.trace);
    if (o.fromS !== undefined || o.durationS !== undefined)
      trace = sliceTrace(trace, o.fromS ?? trace.startS, o.durationS ?? Infinity);
    const gen = new TraceLoadGenerator(
      {
        targetUrl: o.url,
        model: o.model,
        trace,
        speedX: o.speedX,
        scale: o.scale,
        peakPerS: o.peakPerS,
        arrival: o.arrival,
        seed: o.seed,
        shapes: o.shapes,
        maxConcurrency: o.maxConcurrency,
        maxRequests: o.maxRequests,
        timeLimitMs: o.timeLimitMs,
        requestTimeoutMs: o.requestTimeoutMs,
      },
      { latencyTargetMs: o.latencyTargetMs, windowS: o.windowS },
    );
    const onSignal = (): void => gen.stop();
    process.once('SIGINT', onSignal);
    let result: Awaited<ReturnType<typeof gen.run>>;
    try {
      result = await gen.run();
    } finally {
      process.off('SIGINT', onSignal);
    }
    if (o.recordsFile) await writeFile(o.recordsFile, result.records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const s = result.summary;
    if (o.json)
      io.out(
        JSON.stringify(
          { planned: result.planned, notSent: result.notSent, stoppedBy: result.stoppedBy, scale: result.scale, ...s },
          null,
          2,
        ),
      );
    else {
      io.out(
        `${s.requests} requests (${s.errors} errors, ${result.notSent} not sent, stopped: ${result.stoppedBy}), scale ${result.scale.toFixed(4)}`,
      );
      io.out(`latency p50 ${s.p50Ms} ms, p95 ${s.p95Ms} ms, p99 ${s.p99Ms} ms, max ${s.maxMs} ms`);
      if (s.latencyTargetMs !== null)
        io.out(
          `target ${s.latencyTargetMs} ms: ${s.slaViolations} violations, ${s.spikeWindows} of ${s.windows.length} ${s.windowS}-s windows over`,
        );
      io.out(
        `per replica: ${
          Object.entries(s.byReplica)
            .map(([id, n]) => `${id}=${n}`)
            .join(' ') || 'none'
        }`,
      );
    }
    return 0;
  } catch (e) {
    const code = e instanceof WarmpoolError ? e.code : 'E_UNEXPECTED';
    io.err(
      `warmpool-loadgen: ${code === 'E_VALIDATION' ? '' : `${code}: `}${e instanceof Error ? e.message : String(e)}`,
    );
    return e instanceof WarmpoolError ? 2 : 1;
  }
}

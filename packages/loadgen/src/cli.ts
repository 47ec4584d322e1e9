import { writeFile } from 'node:fs/promises';
import { ValidationError, WarmpoolError, type ValidationIssue } from '@warmpool/domain';
import type { ArrivalProcess } from './arrival-schedule.js';
import { parseShapes, type RequestShape } from './request-shape.js';
import { readTraceCsv, sliceTrace } from './trace-csv.js';
import { TraceLoadGenerator } from './trace-load-generator.js';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

const processIo: CliIo = { out: (t) => void process.stdout.write(`${t}\n`), err: (t) => void process.stderr.write(`${t}\n`) };

export const HELP = `warmpool-loadgen: replay a request trace against the local load balancer

  loadgen.js --trace FILE --model M [--url http://127.0.0.1:8080] [--from-s S] [--duration-s S]
             [--speed X] [--scale F | --peak-rps R] [--arrival poisson|uniform] [--seed N]
             [--shapes 1x8,2x16] [--concurrency N] [--max-requests N] [--time-limit-s S]
             [--timeout-ms MS] [--target-ms MS] [--window-s S] [--records FILE] [--json]

  FILE: CSV "t,count". Prints a summary (requests, p50/p95/p99, errors, per-window p95,
  spike windows over --target-ms); --records writes one JSON line per request.
  Exit codes: 0 done, 1 unexpected failure, 2 bad arguments or trace.`;

const VALUE_KEYS = ['trace', 'model', 'url', 'from-s', 'duration-s', 'speed', 'scale', 'peak-rps', 'arrival', 'seed', 'shapes', 'concurrency', 'max-requests', 'time-limit-s', 'timeout-ms', 'target-ms', 'window-s', 'records'];

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
  const values = new Map<string, string>();
  const issues: ValidationIssue[] = [];
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') json = true;
    else if (a.startsWith('--') && VALUE_KEYS.includes(a.slice(2)) && i + 1 < argv.length) values.set(a.slice(2), argv[++i]!);
    else issues.push({ path: a, value: a, allowed: `one of --json, ${VALUE_KEYS.map((k) => `--${k} VALUE`).join(', ')}` });
  }
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
  if (!trace) issues.push({ path: '--trace', value: undefined, allowed: 'a CSV file "t,count"' });
  if (!model) issues.push({ path: '--model', value: undefined, allowed: 'the model name the load balancer serves' });
  const arrival = values.get('arrival');
  if (arrival !== undefined && arrival !== 'poisson' && arrival !== 'uniform') issues.push({ path: '--arrival', value: arrival, allowed: 'poisson or uniform' });
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
  if (values.has('scale') && values.has('peak-rps')) issues.push({ path: '--peak-rps', value: values.get('peak-rps'), allowed: 'either --scale or --peak-rps, not both' });
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
  if (issues.length > 0) throw new ValidationError(issues, 'loadgen arguments');
  return opts;
}

/** Entry point of bin/loadgen.js. Returns the exit code; never throws. */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h') || argv.length === 0) {
    io.out(HELP);
    return argv.length === 0 ? 2 : 0;
  }
  try {
    const o = parseCliArgs(argv);
    let trace = await readTraceCsv(o.trace);
    if (o.fromS !== undefined || o.durationS !== undefined) trace = sliceTrace(trace, o.fromS ?? trace.startS, o.durationS ?? Infinity);
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
    let result;
    try {
      result = await gen.run();
    } finally {
      process.off('SIGINT', onSignal);
    }
    if (o.recordsFile) await writeFile(o.recordsFile, result.records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const s = result.summary;
    if (o.json) io.out(JSON.stringify({ planned: result.planned, notSent: result.notSent, stoppedBy: result.stoppedBy, scale: result.scale, ...s }, null, 2));
    else {
      io.out(`${s.requests} requests (${s.errors} errors, ${result.notSent} not sent, stopped: ${result.stoppedBy}), scale ${result.scale.toFixed(4)}`);
      io.out(`latency p50 ${s.p50Ms} ms, p95 ${s.p95Ms} ms, p99 ${s.p99Ms} ms, max ${s.maxMs} ms`);
      if (s.latencyTargetMs !== null) io.out(`target ${s.latencyTargetMs} ms: ${s.slaViolations} violations, ${s.spikeWindows} of ${s.windows.length} ${s.windowS}-s windows over`);
      io.out(`per replica: ${Object.entries(s.byReplica).map(([id, n]) => `${id}=${n}`).join(' ') || 'none'}`);
    }
    return 0;
  } catch (e) {
    const code = e instanceof WarmpoolError ? e.code : 'E_UNEXPECTED';
    io.err(`error ${code}: ${e instanceof Error ? e.message : String(e)}`);
    return e instanceof WarmpoolError ? 2 : 1;
  }
}

import type { Writable } from 'node:stream';
import { LocalWorld } from '../world/local-world.js';
import { LOCAL_WORLD_DEFAULTS, type LocalWorldOptions } from '../world/local-world-options.js';
import { formatWorldSummary } from '../world/world-summary.js';
import type { CommandSpec } from '@warmpool/telemetry';
import { choiceFlag, logLevelFlag, numberFlag, parseFlags } from './parse-flags.js';

const d = LOCAL_WORLD_DEFAULTS;
export const START_COMMAND: CommandSpec = {
  name: 'warmpool start',
  summary:
    'the local world (what npm start runs): load balancer, replicas, daemon, dashboard, a real trace as load\n' +
    'First line: the dashboard URL; then the decisions and their outcomes; at the end a summary with the SLA verdict.',
  options: {
    'duration-s': { type: 'string', value: 'S', default: d.durationS, help: 'wall seconds of replay' },
    speed: { type: 'string', value: 'X', default: d.speedX, help: 'trace seconds per wall second' },
    trace: {
      type: 'string',
      value: 'FILE',
      default: 'the bundled ServeGen M-small trace',
      help: 'trace CSV replayed as load',
    },
    'replay-from-s': {
      type: 'string',
      value: 'S',
      default: d.replayFromS,
      help: 'trace second the replay starts at (0 with --trace)',
    },
    'history-s': {
      type: 'string',
      value: 'S',
      default: d.historyS,
      help: 'wall seconds of history backfilled before the replay',
    },
    'peak-per-s': { type: 'string', value: 'N', default: d.peakPerS, help: 'requests per second at the busiest bin' },
    'capacity-per-s': {
      type: 'string',
      value: 'N',
      default: d.capacityPerReplicaPerS,
      help: 'requests per second one replica is planned for',
    },
    'provision-delay-ms': {
      type: 'string',
      value: 'MS',
      default: d.provisionDelayMs,
      help: 'wait before each replica process starts (stands in for node start)',
    },
    'max-replicas': { type: 'string', value: 'N', default: d.maxReplicas, help: 'replica ceiling, 1-64' },
    port: {
      type: 'string',
      value: 'N',
      default: d.httpPort,
      help: 'dashboard and /metrics port (another one if taken; 0: any)',
    },
    seed: { type: 'string', value: 'N', default: d.seed, help: 'seed of the load generator' },
    format: {
      type: 'string',
      value: 'auto|json|text',
      default: 'auto',
      help: 'JSON lines when stdout is not a terminal',
    },
    holds: { type: 'boolean', help: 'print the holds too (decisions that changed nothing)' },
    'log-level': {
      type: 'string',
      value: 'LEVEL',
      help: "trace|debug|info|warn|error|fatal|silent for the daemon's log lines (default WARMPOOL_LOG_LEVEL, else info)",
    },
  },
};

/** Process signals the command listens to; injected so tests do not touch the process. */
export interface StartSignals {
  on(signal: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
  off(signal: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
}

/**
 * `warmpool start`: the local world on its defaults. First line: the dashboard URL; then the daemon's decisions
 * (readable on a terminal, JSON lines otherwise) as replicas are scaled ahead of the replayed trace; at the end (or
 * on SIGINT/SIGTERM) everything is closed and a short summary is printed.
 */
export async function start(
  argv: readonly string[],
  out: (s: string) => void,
  io: { stdout?: Writable & { isTTY?: boolean }; signals?: StartSignals } = {},
): Promise<number> {
  const v = parseFlags(START_COMMAND, argv);
  const opt = (name: string, def: number, min: number, max: number, integer = false): number =>
    numberFlag(v, name, def, { min, max, integer });
  const options: LocalWorldOptions = {
    ...(typeof v.trace === 'string'
      ? { tracePath: v.trace, replayFromS: opt('replay-from-s', 0, 0, 1e9) }
      : { replayFromS: opt('replay-from-s', d.replayFromS, 0, 1e9) }),
    durationS: opt('duration-s', d.durationS, 1, 86_400),
    historyS: opt('history-s', d.historyS, 0, 86_400),
    speedX: opt('speed', d.speedX, 0.01, 100_000),
    peakPerS: opt('peak-per-s', d.peakPerS, 0.1, 2000),
    capacityPerReplicaPerS: opt('capacity-per-s', d.capacityPerReplicaPerS, 0.01, 1e6),
    provisionDelayMs: opt('provision-delay-ms', d.provisionDelayMs, 0, 600_000, true),
    maxReplicas: opt('max-replicas', d.maxReplicas, 1, 64, true),
    httpPort: opt('port', d.httpPort, 0, 65535, true),
    seed: opt('seed', d.seed, 0, 2 ** 32 - 1, true),
    format: choiceFlag(v, 'format', ['auto', 'json', 'text'] as const, 'auto'),
    printHolds: v.holds === true,
    logLevel: logLevelFlag(v['log-level'], process.env),
  };
  const stdout = io.stdout ?? process.stdout;
  const json = options.format === 'json' || (options.format === 'auto' && !stdout.isTTY);
  const world = await LocalWorld.start(options, { stdout }, ({ dashboardUrl }) => {
    if (json)
      stdout.write(
        JSON.stringify({ kind: 'world', time: new Date().toISOString(), event: 'dashboard', url: dashboardUrl }) + '\n',
      );
    else out(`warmpool start: dashboard at ${dashboardUrl}  (Ctrl-C stops)`);
  });
  const o = world.options;
  if (!json) {
    out(
      `Replaying ${o.tracePath.split('/').pop()} from t=${o.replayFromS} s at ${o.speedX}x for ${o.durationS} s (busiest second ${o.peakPerS} req/s) through the load balancer ${world.lbUrl};\n` +
        `each replica (${o.modelSource}) is planned for ${o.capacityPerReplicaPerS} req/s and starts after a ${o.provisionDelayMs} ms provisioning delay + process start, model load and warm-up.\n` +
        `The daemon backfilled ${o.historyS} s of the same trace (the part before the replay; a trace day lasts ${Number((86_400 / o.speedX).toFixed(1))} s here, the forecaster's daily season) and scales ahead of the forecast; decisions:`,
    );
  }
  const signals = io.signals ?? process;
  let asked = 0;
  const ask = (signal: 'SIGINT' | 'SIGTERM'): void => {
    asked++;
    if (asked === 1) {
      if (!json)
        out(
          `\n${signal}: stopping the load, the daemon, the replicas and the load balancer (${signal} again to exit at once)`,
        );
      world.stop(signal);
    } else if (io.signals === undefined) {
      // The provider SIGKILLs its replica processes when this process exits.
      process.exit(130);
    }
  };
  const onInt = (): void => ask('SIGINT');
  const onTerm = (): void => ask('SIGTERM');
  signals.on('SIGINT', onInt);
  signals.on('SIGTERM', onTerm);
  try {
    const result = await world.finished;
    if (json)
      stdout.write(
        JSON.stringify({
          kind: 'world',
          time: new Date().toISOString(),
          event: 'summary',
          endedBy: result.endedBy,
          ...result.summary,
          outcomes: undefined,
          p95PerSecondMs: undefined,
          replicaPids: result.replicaPids,
        }) + '\n',
      );
    else out(`\n${result.endedBy}; everything is closed. Summary:\n${formatWorldSummary(result.summary)}`);
    return 0;
  } finally {
    signals.off('SIGINT', onInt);
    signals.off('SIGTERM', onTerm);
  }
}

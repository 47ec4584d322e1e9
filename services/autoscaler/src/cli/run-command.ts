import type { Writable } from 'node:stream';
import { loadConfigFile } from '../config/load-config-file.js';
import { buildDaemon, type BuildDaemonOptions, type DaemonFactories } from '../daemon/build-daemon.js';
import { ConfigWatcher, type SignalSource } from '../daemon/config-watcher.js';
import { startEmbeddedLoadBalancer } from './embedded-load-balancer.js';
import { createLogger, eventLogger } from '@warmpool/telemetry';
import type { CommandSpec } from '@warmpool/telemetry';
import { logLevelFlag, parseFlags, requiredString } from './parse-flags.js';

/** What the process gives the daemon; injected so tests run it in-process. */
export interface RunEnvironment extends DaemonFactories {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly stdout?: Writable & { isTTY?: boolean };
  /** SIGTERM/SIGINT stop, SIGHUP reloads. Default: the process. */
  readonly signals?: SignalSource & {
    on(signal: 'SIGTERM' | 'SIGINT', l: () => void): unknown;
    off(signal: 'SIGTERM' | 'SIGINT', l: () => void): unknown;
  };
  readonly watchFile?: boolean;
  /** Extra wiring for tests (clients pointing at fakes). */
  readonly build?: Partial<BuildDaemonOptions>;
}

export const RUN_COMMAND: CommandSpec = {
  name: 'warmpool run',
  summary:
    'the daemon: plan every tick, scale ahead of the forecast, log decisions (SIGHUP reloads the config, SIGTERM stops)',
  options: {
    config: {
      type: 'string',
      value: 'FILE',
      required: true,
      help: 'warmpool.yaml (check it first with warmpool config validate)',
    },
    'dry-run': { type: 'boolean', help: 'plan and log decisions, never scale' },
    'log-level': {
      type: 'string',
      value: 'LEVEL',
      help: 'trace|debug|info|warn|error|fatal|silent (default WARMPOOL_LOG_LEVEL, else info); debug prints every hold',
    },
  },
};

/**
 * `warmpool run`: loads and validates the config (bad config: exit 2 with every problem), starts the daemon, and
 * runs until SIGTERM or SIGINT (graceful: the tick finishes, the queue, providers and leadership are closed).
 */
export async function runCommand(
  argv: readonly string[],
  _out: (s: string) => void,
  run: RunEnvironment = {},
): Promise<number> {
  const v = parseFlags(RUN_COMMAND, argv);
  const file = requiredString(v, 'config');
  const env = run.env ?? process.env;
  const logLevel = logLevelFlag(v['log-level'], env);
  const config = await loadConfigFile(file, env);
  // provider.startLoadBalancer: the local load balancer runs inside this process (token from the env or generated).
  const lbLog = createLogger({
    component: 'load-balancer',
    level: logLevel,
    destination: run.stdout ?? process.stdout,
    format: config.decisionLog.format,
  });
  const lb = await startEmbeddedLoadBalancer(config, env, eventLogger(lbLog));
  if (lb) {
    const token = lb.generated
      ? `${lb.token} (generated; set WARMPOOL_LB_TOKEN to choose one)`
      : 'from WARMPOOL_LB_TOKEN';
    const fields = {
      kind: 'daemon',
      event: 'load-balancer',
      url: lb.url,
      tokenGenerated: lb.generated,
      ...(lb.generated ? { token: lb.token } : {}),
      stateDir: config.stateDir,
    };
    lbLog.info(
      fields,
      `local load balancer at ${lb.url}; replicas register with token ${token}; output under ${config.stateDir}`,
    );
  }
  const daemonEnv = lb ? { ...env, WARMPOOL_LB_TOKEN: lb.token } : env;
  let daemon: ReturnType<typeof buildDaemon>;
  try {
    daemon = buildDaemon({ config, dryRun: v['dry-run'] === true, logLevel, ...run, ...run.build, env: daemonEnv });
  } catch (err) {
    await lb?.close();
    throw err;
  }
  const signals = run.signals ?? process;
  const watcher = new ConfigWatcher({
    file,
    load: (f) => loadConfigFile(f, env),
    onConfig: (c) => daemon.reload(c),
    onRejected: (err) => daemon.rejectConfig(file, err),
    signals,
    watchFile: run.watchFile ?? true,
  });
  let onStop: (why: string) => void = () => undefined;
  const stopped = new Promise<string>((resolve) => {
    onStop = resolve;
  });
  const onTerm = (): void => onStop('SIGTERM');
  const onInt = (): void => onStop('SIGINT');
  signals.on('SIGTERM', onTerm);
  signals.on('SIGINT', onInt);
  try {
    await daemon.start();
    watcher.start();
    const why = await stopped;
    await watcher.stop();
    await daemon.stop(why);
    return 0;
  } finally {
    await lb?.close();
    signals.off('SIGTERM', onTerm);
    signals.off('SIGINT', onInt);
  }
}

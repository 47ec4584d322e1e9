import { TraceFormatError, ValidationError, WarmpoolError } from '@warmpool/domain';
import { simulate, SIMULATE_USAGE } from './cli/simulate-command.js';
import { UsageError } from './cli/usage-error.js';
import { start, START_USAGE } from './cli/start-command.js';
import { demo } from './cli/demo-command.js';
import { bench } from './cli/bench-command.js';
import { backtestCommand } from './cli/backtest-command.js';
import { configCommand, CONFIG_USAGE } from './cli/config-command.js';
import { runCommand, RUN_USAGE } from './cli/run-command.js';
import { decisionsCommand, DECISIONS_USAGE } from './cli/decisions-command.js';
import { ConfigFileError } from './config/load-config-file.js';

const USAGE = `warmpool — predictive warm-pool autoscaler for GPU model serving

usage:
  ${SIMULATE_USAGE}
  warmpool backtest --trace FILE [--horizon-steps N] [--quantile 0.95] [--json]
  warmpool bench planner [--models 1000] [--json]
  ${START_USAGE}
  warmpool demo [--trace FILE] [--speed 120] [--no-pace]   the planner alone on a trace (simulator, no processes)
  ${CONFIG_USAGE}
  ${RUN_USAGE}
  ${DECISIONS_USAGE}
`;

type Command = (argv: readonly string[], out: (s: string) => void) => number | Promise<number>;

const COMMANDS: Record<string, Command> = {
  simulate,
  start: (argv, out) => start(argv, out),
  demo,
  bench,
  backtest: backtestCommand,
  config: configCommand,
  run: (argv, out) => runCommand(argv, out),
  decisions: (argv, out) => decisionsCommand(argv, out),
};

/** CLI entry: returns the exit code (0 ok, 1 runtime failure, 2 bad input or usage). */
export async function main(argv: readonly string[], out: (s: string) => void = (s) => process.stdout.write(s + '\n'), err: (s: string) => void = (s) => process.stderr.write(s + '\n')): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    out(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    err(`warmpool: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  try {
    return await command(rest, out);
  } catch (e) {
    if (e instanceof UsageError || e instanceof TraceFormatError || e instanceof ValidationError || e instanceof ConfigFileError) {
      err(`warmpool ${name}: ${e.message}`);
      return 2;
    }
    if (e instanceof WarmpoolError) {
      err(`warmpool ${name}: ${e.code}: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

import { TraceFormatError, ValidationError, WarmpoolError } from '@warmpool/domain';
import {
  formatCommandUsage,
  formatProgramUsage,
  packageVersion,
  parseCommandLine,
  CommandLineError,
  type CommandSpec,
} from '@warmpool/telemetry';
import { simulate, SIMULATE_COMMAND } from './cli/simulate-command.js';
import { UsageError } from './cli/usage-error.js';
import { start, START_COMMAND } from './cli/start-command.js';
import { demo, DEMO_COMMAND } from './cli/demo-command.js';
import { bench, BENCH_PLANNER_COMMAND } from './cli/bench-command.js';
import { backtestCommand, BACKTEST_COMMAND } from './cli/backtest-command.js';
import { configCommand, CONFIG_VALIDATE_COMMAND } from './cli/config-command.js';
import { runCommand, RUN_COMMAND } from './cli/run-command.js';
import { decisionsCommand, DECISIONS_COMMAND } from './cli/decisions-command.js';
import { ConfigFileError } from './config/load-config-file.js';

type Command = (argv: readonly string[], out: (s: string) => void) => number | Promise<number>;

/** Each command: how it runs and its option table (the one it parses with and `--help` prints); `sub`: its subcommand word. */
const COMMANDS: Record<string, { readonly run: Command; readonly spec: CommandSpec; readonly sub?: string }> = {
  start: { run: (argv, out) => start(argv, out), spec: START_COMMAND },
  run: { run: (argv, out) => runCommand(argv, out), spec: RUN_COMMAND },
  decisions: { run: (argv, out) => decisionsCommand(argv, out), spec: DECISIONS_COMMAND },
  config: { run: (argv, out) => configCommand(argv, out), spec: CONFIG_VALIDATE_COMMAND, sub: 'validate' },
  simulate: { run: simulate, spec: SIMULATE_COMMAND },
  backtest: { run: backtestCommand, spec: BACKTEST_COMMAND },
  bench: { run: bench, spec: BENCH_PLANNER_COMMAND, sub: 'planner' },
  demo: { run: demo, spec: DEMO_COMMAND },
};

const PROGRAM = {
  name: 'warmpool',
  summary: 'predictive warm-pool autoscaler for GPU model serving',
  commands: Object.values(COMMANDS).map((c) => c.spec),
  notes: 'exit codes: 0 ok, 1 runtime failure (provider, queue, lead time), 2 bad input (options, config, trace)',
};

export const USAGE = formatProgramUsage(PROGRAM);

/** `warmpool --version`: the autoscaler package's version. */
export const VERSION = packageVersion(import.meta.url);

/** CLI entry: returns the exit code (0 ok, 1 runtime failure, 2 bad input or usage). */
export async function main(
  argv: readonly string[],
  out: (s: string) => void = (s) => process.stdout.write(s + '\n'),
  err: (s: string) => void = (s) => process.stderr.write(s + '\n'),
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version') {
    out(`warmpool ${VERSION}`);
    return 0;
  }
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    (name === undefined ? err : out)(USAGE);
    return name === undefined ? 2 : 0;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    err(`warmpool: unknown command "${name}" (warmpool --help lists them)`);
    return 2;
  }
  // `--help` / `--version` anywhere after the command (and its subcommand word, if it has one).
  const words = entry.sub !== undefined && rest[0] === entry.sub ? rest.slice(1) : rest;
  if (entry.sub !== undefined && (rest[0] === '--help' || rest[0] === '-h')) {
    out(formatCommandUsage(entry.spec));
    return 0;
  }
  let asked: { help: boolean; version: boolean };
  try {
    asked = parseCommandLine(entry.spec, words);
  } catch (e) {
    if (!(e instanceof CommandLineError)) throw e;
    asked = { help: false, version: false }; // the command reports it, in its own words
  }
  if (asked.help) {
    out(formatCommandUsage(entry.spec));
    return 0;
  }
  if (asked.version) {
    out(`warmpool ${VERSION}`);
    return 0;
  }
  const command = entry.run;
  const label = entry.sub !== undefined && rest[0] === entry.sub ? `warmpool ${name} ${entry.sub}` : `warmpool ${name}`;
  try {
    return await command(rest, out);
  } catch (e) {
    if (
      e instanceof UsageError ||
      e instanceof TraceFormatError ||
      e instanceof ValidationError ||
      e instanceof ConfigFileError
    ) {
      err(`${label}: ${e.message}`);
      return 2;
    }
    if (e instanceof WarmpoolError) {
      err(`${label}: ${e.code}: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

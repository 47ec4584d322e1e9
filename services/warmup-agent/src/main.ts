import { WarmpoolError } from '@warmpool/domain';
import { formatCommandUsage, formatProgramUsage, packageVersion, parseCommandLine } from '@warmpool/telemetry';
import { AGENT_COMMANDS, LB_COMMAND, WARM_COMMAND } from './agent-commands.js';
import { CliArgs } from './cli-args.js';
import { BAD_INPUT_CODES, ExitCode } from './exit-code.js';
import { processIo, type Io } from './io.js';

// Commands import what they use when they run (ONNX Runtime, the Kubernetes and AWS clients, the load balancer):
// `--help` loads none of them, `warm` no registrar.

const PROGRAM = {
  name: 'warmpool-agent',
  summary: 'warm ONNX models before they take traffic',
  commands: Object.values(AGENT_COMMANDS),
  notes:
    'exit codes: 0 ok / stopped by a signal, 1 not ready or failed warm-up, 2 bad arguments or input,\n' +
    '            3 registration failed (load balancer, Kubernetes API, lifecycle hook, instance metadata)',
};

/** `warmpool-agent --help`, generated from the commands' option tables. */
export const USAGE = formatProgramUsage(PROGRAM);

export type { Io } from './io.js';

/** Entry point of the `warmpool-agent` bin. Returns the exit code; never throws. */
export async function main(
  argv: readonly string[],
  io: Io = processIo,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<number> {
  const [command, ...rest] = argv;
  const json = rest.includes('--json');
  if (command === '--version') {
    io.out(`warmpool-agent ${packageVersion(import.meta.url)}`);
    return 0;
  }
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    (command === undefined ? io.err : io.out)(USAGE);
    return command === undefined ? ExitCode.BadInput : 0;
  }
  const spec = AGENT_COMMANDS[command];
  if (spec === undefined) {
    io.err(`warmpool-agent: unknown command ${JSON.stringify(command)} (warmpool-agent --help lists them)`);
    return ExitCode.BadInput;
  }
  const asked = parseCommandLine(spec, rest, { collect: true });
  if (asked.help || asked.version) {
    io.out(asked.help ? formatCommandUsage(spec) : `warmpool-agent ${packageVersion(import.meta.url)}`);
    return 0;
  }
  try {
    switch (command) {
      case 'warm':
        return await warm(rest, io);
      case 'serve':
        return await (await import('./serve-command.js')).serve(rest, io, env);
      default:
        return await lb(rest, io, env);
    }
  } catch (e) {
    const code = e instanceof WarmpoolError ? e.code : ((e as { code?: string }).code ?? 'E_UNEXPECTED');
    const message = e instanceof Error ? e.message : String(e);
    io.err(
      json
        ? JSON.stringify({ error: code, message })
        : `warmpool-agent ${command}: ${code === 'E_VALIDATION' ? '' : `${code}: `}${message}`,
    );
    // Bad input (arguments, model file, spec, a shape the model cannot take) is 2 whatever threw it.
    return e instanceof WarmpoolError || BAD_INPUT_CODES.has(code) ? ExitCode.BadInput : 1;
  }
}

async function warm(argv: readonly string[], io: Io): Promise<number> {
  const [{ readSessionArgs, readSpecArg }, { resolveModel }, { measureWarmup }] = await Promise.all([
    import('./session-args.js'),
    import('./model-source.js'),
    import('./warm-command.js'),
  ]);
  const args = new CliArgs(argv, WARM_COMMAND);
  const modelArg = args.required('model', 'a model file or a bundled test model name');
  const asJson = args.flag('json');
  const session = readSessionArgs(args);
  const firstRequests = args.int('first-requests', 10, 1, 10_000);
  // Absent: the model server's default (16 MiB), as serve.
  const maxBodyBytes =
    args.string('max-body-bytes') === undefined ? undefined : args.int('max-body-bytes', 0, 1024, 2 ** 31 - 1);
  args.done('warm');
  const spec = readSpecArg(args);
  const model = resolveModel(modelArg);
  const m = await measureWarmup({
    name: model.name,
    modelPath: model.path,
    session,
    spec,
    firstRequests,
    maxBodyBytes,
  });
  if (asJson) io.out(JSON.stringify(m, null, 2));
  else {
    io.out(
      `${m.model} on ${m.executionProvider}: load ${m.loadMs} ms, warm-up ${m.warmupMs} ms, converged ${m.converged}, ready ${m.ready}`,
    );
    for (const s of m.shapes) {
      io.out(
        `  ${s.shape}: cold first ${s.coldFirstMs} ms, first ${firstRequests} p50 ${s.firstRequestsP50Ms} ms (max ${s.firstRequestsMaxMs}), steady p50 ${s.steadyP50Ms} ms, ratio ${s.firstToSteadyRatio} (after a pause: ${s.afterPauseToSteadyRatio})`,
      );
    }
    for (const e of m.httpEncodings ?? [])
      for (const k of e.skipped) io.out(`  http ${e.encoding} skipped for ${k.target}: ${k.reason}`);
    if (m.reason) io.out(`  reason: ${m.reason}`);
    for (const p of m.problems) io.out(`  not measured: ${p}`);
  }
  return m.ready && m.measured ? 0 : 1;
}

async function lb(argv: readonly string[], io: Io, env: Readonly<Record<string, string | undefined>>): Promise<number> {
  const [{ LoadBalancerServer }, { readLbToken }, { agentEventLog, readLogLevel }] = await Promise.all([
    import('@warmpool/load-balancer'),
    import('./registrar-args.js'),
    import('./agent-logger.js'),
  ]);
  const args = new CliArgs(argv, LB_COMMAND);
  const port = args.int('port', 8080, 0, 65535);
  const host = args.string('host', '127.0.0.1')!;
  const token = readLbToken(args, env) ?? '';
  if (!token)
    args.issues.push({
      path: 'WARMPOOL_LB_TOKEN',
      value: undefined,
      allowed: 'the shared secret in WARMPOOL_LB_TOKEN or --token-file FILE (never on the command line)',
    });
  const models =
    args
      .string('models')
      ?.split(',')
      .map((m) => m.trim())
      .filter(Boolean) ?? [];
  const slowStartS = args.int('slow-start-s', 30, 0, 3600);
  const healthIntervalS = args.int('health-interval-s', 2, 1, 3600);
  const logLevel = readLogLevel(args, env);
  args.done('lb');
  const log = agentEventLog(io, 'load-balancer', logLevel);
  const server = new LoadBalancerServer({
    token,
    host,
    port,
    models,
    pool: { slowStartMs: slowStartS * 1000 },
    health: { intervalMs: healthIntervalS * 1000 },
    log,
  });
  const { url } = await server.listen();
  log({ event: 'lb-listening', url });
  const sig = await io.untilSignal();
  log({ event: 'lb-stopping', signal: sig });
  await server.close();
  return 0;
}

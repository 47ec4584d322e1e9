import { WarmpoolError } from '@warmpool/domain';
import { CliArgs } from './cli-args.js';
import { BAD_INPUT_CODES, ExitCode } from './exit-code.js';
import { processIo, type Io } from './io.js';

// Commands import what they use when they run (ONNX Runtime, the Kubernetes and AWS clients, the load balancer):
// `--help` loads none of them, `warm` no registrar.

const HELP = `warmpool-agent: warm ONNX models before they take traffic

  warmpool-agent warm  --model FILE|NAME [--spec FILE] [--json] [--first-requests N]
  warmpool-agent serve --model FILE|NAME [--name MODEL] [--spec FILE] [--port N] [--host H]
                       [--replica-id ID] [--max-concurrency N] [--max-queue N] [--min-service-ms MS]
                       [--registrar none|local|kubernetes|aws] [--heartbeat-s S] [--on-failure exit|stay]
                       [--register-retries N] [--register-retry-delay-ms MS]
                       [--max-body-bytes N] [--max-output-bytes N] [--request-timeout-ms MS]
                       [--input-limit-factor F] [--http-warm-rounds N] [--log-level LEVEL]
        local:      --lb URL [--token-file FILE]    (default registrar when --lb is given)
        kubernetes: [--pod NAME] [--namespace NS] [--kubeconfig FILE]
                    (POD_NAME/POD_NAMESPACE from the downward API; in-cluster config unless KUBECONFIG)
        aws:        --asg GROUP --lifecycle-hook HOOK [--instance-id ID] [--region R]
                    [--aws-endpoint URL] [--imds-endpoint URL] [--imds-timeout-ms MS]
                    (instance id and region from IMDSv2 when not given; --heartbeat-s default 60)
  warmpool-agent lb    [--port N] [--host H] [--token-file FILE] [--models A,B] [--slow-start-s S] [--health-interval-s S]
                       [--log-level LEVEL]

  session options (warm, serve): [--providers cuda,cpu] [--graph-opt disabled|basic|extended|all]
                       [--threads N] [--inter-threads N] [--opt-cache DIR | --no-opt-cache]
  --min-service-ms: each inference holds its slot at least MS (a stand-in for accelerator time on a host
                       without one: bounded capacity per replica without taking CPU from the others).
  --log-level (serve, lb): trace|debug|info|warn|error|fatal|silent, default WARMPOOL_LOG_LEVEL or info; logs
                       are JSON lines (time, level, component, model, msg, event, ...) unless stdout is a terminal.
  NAME: a bundled generated test model (tiny-transformer, small-transformer).
  Tokens come from WARMPOOL_LB_TOKEN or --token-file, never the command line (serve: the replica's own credential,
  deriveReplicaToken(secret, replica id), or the shared secret; lb: the shared secret).
  Exit codes: 0 ok / stopped by a signal, 1 not ready or failed warm-up, 2 bad arguments or input,
              3 registration failed (load balancer, Kubernetes API, lifecycle hook, instance metadata).`;

export type { Io } from './io.js';

/** Entry point of the `warmpool-agent` bin. Returns the exit code; never throws. */
export async function main(argv: readonly string[], io: Io = processIo, env: Readonly<Record<string, string | undefined>> = process.env): Promise<number> {
  const [command, ...rest] = argv;
  const json = rest.includes('--json');
  try {
    switch (command) {
      case 'warm':
        return await warm(rest, io);
      case 'serve':
        return await (await import('./serve-command.js')).serve(rest, io, env);
      case 'lb':
        return await lb(rest, io, env);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(HELP);
        return command === undefined ? 2 : 0;
      default:
        io.err(`unknown command ${JSON.stringify(command)}\n\n${HELP}`);
        return 2;
    }
  } catch (e) {
    const code = e instanceof WarmpoolError ? e.code : ((e as { code?: string }).code ?? 'E_UNEXPECTED');
    const message = e instanceof Error ? e.message : String(e);
    io.err(json ? JSON.stringify({ error: code, message }) : `error ${code}: ${message}`);
    // Bad input (arguments, model file, spec, a shape the model cannot take) is 2 whatever threw it.
    return e instanceof WarmpoolError || BAD_INPUT_CODES.has(code) ? ExitCode.BadInput : 1;
  }
}

async function warm(argv: readonly string[], io: Io): Promise<number> {
  const [{ SESSION_FLAGS, readSessionArgs, readSpecArg }, { resolveModel }, { measureWarmup }] = await Promise.all([
    import('./session-args.js'),
    import('./model-source.js'),
    import('./warm-command.js'),
  ]);
  const args = new CliArgs(argv, ['json', ...SESSION_FLAGS]);
  const modelArg = args.required('model', 'a model file or a bundled test model name');
  const asJson = args.flag('json');
  const session = readSessionArgs(args);
  const firstRequests = args.int('first-requests', 10, 1, 10_000);
  const specFile = args.string('spec');
  args.done('warm');
  const spec = readSpecArg(new CliArgs(specFile ? ['--spec', specFile] : [], []));
  const model = resolveModel(modelArg);
  const m = await measureWarmup({ name: model.name, modelPath: model.path, session, spec, firstRequests });
  if (asJson) io.out(JSON.stringify(m, null, 2));
  else {
    io.out(`${m.model} on ${m.executionProvider}: load ${m.loadMs} ms, warm-up ${m.warmupMs} ms, converged ${m.converged}, ready ${m.ready}`);
    for (const s of m.shapes) {
      io.out(`  ${s.shape}: cold first ${s.coldFirstMs} ms, first ${firstRequests} p50 ${s.firstRequestsP50Ms} ms (max ${s.firstRequestsMaxMs}), steady p50 ${s.steadyP50Ms} ms, ratio ${s.firstToSteadyRatio}`);
    }
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
  const args = new CliArgs(argv, []);
  const port = args.int('port', 8080, 0, 65535);
  const host = args.string('host', '127.0.0.1')!;
  const token = readLbToken(args, env) ?? '';
  if (!token) args.issues.push({ path: 'WARMPOOL_LB_TOKEN', value: undefined, allowed: 'the shared secret in WARMPOOL_LB_TOKEN or --token-file FILE (never on the command line)' });
  const models = args.string('models')?.split(',').map((m) => m.trim()).filter(Boolean) ?? [];
  const slowStartS = args.int('slow-start-s', 30, 0, 3600);
  const healthIntervalS = args.int('health-interval-s', 2, 1, 3600);
  const logLevel = readLogLevel(args, env);
  args.done('lb');
  const log = agentEventLog(io, 'load-balancer', logLevel);
  const server = new LoadBalancerServer({ token, host, port, models, pool: { slowStartMs: slowStartS * 1000 }, health: { intervalMs: healthIntervalS * 1000 }, log });
  const { url } = await server.listen();
  log({ event: 'lb-listening', url });
  const sig = await io.untilSignal();
  log({ event: 'lb-stopping', signal: sig });
  await server.close();
  return 0;
}

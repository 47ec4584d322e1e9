import { WarmpoolError } from '@warmpool/domain';
import { LoadBalancerServer, LocalRegistrar } from '@warmpool/load-balancer';
import { CliArgs } from './cli-args.js';
import { resolveModel } from './model-source.js';
import { ReplicaAgent } from './replica-agent.js';
import { SESSION_FLAGS, readSessionArgs, readSpecArg } from './session-args.js';
import { measureWarmup } from './warm-command.js';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Resolves on SIGTERM/SIGINT (serve, lb). */
  untilSignal(): Promise<string>;
}

const processIo: Io = {
  out: (t) => void process.stdout.write(`${t}\n`),
  err: (t) => void process.stderr.write(`${t}\n`),
  untilSignal: () =>
    new Promise((resolve) => {
      const on = (sig: string) => {
        process.off('SIGTERM', on);
        process.off('SIGINT', on);
        resolve(sig);
      };
      process.once('SIGTERM', on);
      process.once('SIGINT', on);
    }),
};

const HELP = `warmpool-agent: warm ONNX models before they take traffic

  warmpool-agent warm  --model FILE|NAME [--spec FILE] [--json] [--first-requests N]
  warmpool-agent serve --model FILE|NAME [--name MODEL] [--spec FILE] [--port N] [--host H]
                       [--lb URL --token T] [--replica-id ID] [--max-concurrency N] [--max-queue N]
                       [--register-retries N]
  warmpool-agent lb    [--port N] [--host H] --token T [--slow-start-s S] [--health-interval-s S]

  session options (warm, serve): [--providers cuda,cpu] [--graph-opt disabled|basic|extended|all]
                       [--threads N] [--inter-threads N] [--opt-cache DIR | --no-opt-cache]
  NAME: a bundled generated test model (tiny-transformer, small-transformer).
  The token may also come from WARMPOOL_LB_TOKEN.
  Exit codes: 0 ok / ready, 1 not ready or failed, 2 bad arguments or input, 3 registration failed.`;

/** Entry point of the `warmpool-agent` bin. Returns the exit code; never throws. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const [command, ...rest] = argv;
  const json = rest.includes('--json');
  try {
    switch (command) {
      case 'warm':
        return await warm(rest, io);
      case 'serve':
        return await serve(rest, io);
      case 'lb':
        return await lb(rest, io);
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
    return e instanceof WarmpoolError ? 2 : 1;
  }
}

async function warm(argv: readonly string[], io: Io): Promise<number> {
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
  }
  return m.ready ? 0 : 1;
}

async function serve(argv: readonly string[], io: Io): Promise<number> {
  const args = new CliArgs(argv, [...SESSION_FLAGS]);
  const modelArg = args.required('model', 'a model file or a bundled test model name');
  const session = readSessionArgs(args);
  const spec = readSpecArg(args);
  const port = args.int('port', 0, 0, 65535);
  const host = args.string('host', '127.0.0.1')!;
  const lbUrl = args.string('lb');
  const token = args.string('token', process.env['WARMPOOL_LB_TOKEN']);
  const retries = args.int('register-retries', 5, 0, 1000);
  const maxConcurrency = args.int('max-concurrency', 1, 1, 1024);
  const maxQueue = args.int('max-queue', 32, 0, 100_000);
  const replicaId = args.string('replica-id');
  const nameArg = args.string('name');
  if (lbUrl && !token) args.issues.push({ path: '--token', value: undefined, allowed: 'the shared load balancer token (or WARMPOOL_LB_TOKEN) when --lb is given' });
  args.done('serve');
  const model = resolveModel(modelArg);
  const log = (event: Record<string, unknown>) => io.out(JSON.stringify({ ts: new Date().toISOString(), ...event }));
  const agent = new ReplicaAgent({
    name: nameArg ?? model.name,
    modelPath: model.path,
    session,
    spec,
    host,
    port,
    maxConcurrency,
    maxQueue,
    registrar: lbUrl ? new LocalRegistrar({ lbUrl, token: token!, retries }) : undefined,
    replicaId,
    log,
  });
  const signal = io.untilSignal();
  const outcome = await Promise.race([agent.start(), signal.then((sig) => ({ ok: false as const, code: 'E_SIGNAL', reason: `stopped by ${sig} during start` }))]);
  if (!outcome.ok) {
    log({ event: 'not-serving', error: outcome.code, reason: outcome.reason });
    await agent.shutdown();
    return outcome.code === 'E_LB_UNREACHABLE' || outcome.code === 'E_LB_REJECTED' ? 3 : outcome.code === 'E_SIGNAL' ? 0 : 1;
  }
  log({ event: 'serving', url: agent.url, replicaId: outcome.registration.replicaId });
  const sig = await signal;
  log({ event: 'shutting-down', signal: sig });
  await agent.shutdown();
  log({ event: 'stopped' });
  return 0;
}

async function lb(argv: readonly string[], io: Io): Promise<number> {
  const args = new CliArgs(argv, []);
  const port = args.int('port', 8080, 0, 65535);
  const host = args.string('host', '127.0.0.1')!;
  const token = args.string('token', process.env['WARMPOOL_LB_TOKEN']) ?? '';
  if (!token) args.issues.push({ path: '--token', value: undefined, allowed: 'a shared registration token (or WARMPOOL_LB_TOKEN)' });
  const slowStartS = args.int('slow-start-s', 30, 0, 3600);
  const healthIntervalS = args.int('health-interval-s', 2, 1, 3600);
  args.done('lb');
  const log = (event: Record<string, unknown>) => io.out(JSON.stringify({ ts: new Date().toISOString(), ...event }));
  const server = new LoadBalancerServer({ token, host, port, pool: { slowStartMs: slowStartS * 1000 }, health: { intervalMs: healthIntervalS * 1000 }, log });
  const { url } = await server.listen();
  log({ event: 'lb-listening', url });
  const sig = await io.untilSignal();
  log({ event: 'lb-stopping', signal: sig });
  await server.close();
  return 0;
}

import { existsSync } from 'node:fs';
import { Redis } from 'ioredis';
import { ValidationError } from '@warmpool/domain';
import {
  DEFAULT_INPUT_LIMIT_FACTOR,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_OUTPUT_BYTES,
  DEFAULT_REQUEST_TIMEOUT_MS,
} from '@warmpool/warmup';
import { SERVE_COMMAND } from './agent-commands.js';
import { CliArgs } from './cli-args.js';
import { BAD_INPUT_CODES, ExitCode } from './exit-code.js';
import type { Io } from './io.js';
import { modelNameFromFile, resolveModel } from './model-source.js';
import { readRegistrationArgs } from './registrar-args.js';
import { buildRegistrar, type BuiltRegistrar } from './registrar-factory.js';
import { describeRegistrarFailure } from './registrar-failure.js';
import { agentEventLog, readLogLevel } from './agent-logger.js';
import type { QuickPassReplica } from './aws-warm-pool-registrar.js';
import { ReplicaAgent } from './replica-agent.js';
import { PROMOTE_SIGNAL, StandbyRegistrar, untilPromoteSignal } from './standby-registrar.js';
import { readSessionArgs, readShapeStoreArg, readSpecArg } from './session-args.js';

export { ExitCode } from './exit-code.js';

/**
 * `warmpool-agent serve`: model server + warm-up + registration with the chosen registrar;
 * deregisters and drains on SIGTERM/SIGINT. Returns the exit code.
 */
export async function serve(
  argv: readonly string[],
  io: Io,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<number> {
  const args = new CliArgs(argv, SERVE_COMMAND);
  const modelArg = args.required('model', 'a model file or a bundled test model name');
  const session = readSessionArgs(args);
  const spec = readSpecArg(args);
  const port = args.int('port', 0, 0, 65535);
  const host = args.string('host', '127.0.0.1')!;
  const maxConcurrency = args.int('max-concurrency', 1, 1, 1024);
  const maxQueue = args.int('max-queue', 32, 0, 100_000);
  const minServiceMs = args.int('min-service-ms', 0, 0, 600_000);
  const maxBodyBytes = args.int('max-body-bytes', DEFAULT_MAX_BODY_BYTES, 1024, 2 ** 31 - 1);
  const maxOutputBytes = args.int('max-output-bytes', DEFAULT_MAX_OUTPUT_BYTES, 1024, 2 ** 31 - 1);
  const requestTimeoutMs = args.int('request-timeout-ms', DEFAULT_REQUEST_TIMEOUT_MS, 1, 3_600_000);
  const inputLimitFactor = args.number('input-limit-factor', DEFAULT_INPUT_LIMIT_FACTOR, -1e-9, 1_000_000);
  const httpWarmRounds = args.int('http-warm-rounds', 2, 0, 1000);
  const replicaIdArg = args.string('replica-id');
  const nameArg = args.string('name');
  const redisClients: Redis[] = [];
  const shapeStore = readShapeStoreArg(
    args,
    nameArg ?? (existsSync(modelArg) ? modelNameFromFile(modelArg) : modelArg),
    (url) => {
      // Commands fail fast while Redis is unreachable (a save is retried on the next interval; a load at start is skipped).
      const client = new Redis(url, {
        lazyConnect: true,
        maxRetriesPerRequest: 1,
        connectTimeout: 5_000,
        enableOfflineQueue: true,
      });
      client.on('error', () => undefined); // reported by the load or save that failed
      redisClients.push(client);
      return client;
    },
  );
  const shapesSaveMs = args.int('shapes-save-ms', 30_000, 100, 86_400_000);
  const registration = readRegistrationArgs(args, env);
  const logLevel = readLogLevel(args, env);
  const standby = args.flag('standby');
  if (standby && registration.registrar.kind === 'none')
    args.issues.push({
      path: '--standby',
      value: true,
      allowed: 'with a registrar to register with once promoted (--lb URL)',
    });
  try {
    args.done('serve');
  } catch (e) {
    for (const c of redisClients) c.disconnect();
    throw e;
  }
  const model = resolveModel(modelArg);
  // A standby's promotion signal is caught from the start: one sent while the model still loads is kept.
  const promotion = standby ? untilPromoteSignal() : undefined;
  const log = agentEventLog(io, 'agent', logLevel, nameArg ?? model.name);
  const kind = registration.registrar.kind;

  let built: BuiltRegistrar;
  try {
    built = await buildRegistrar(registration.registrar, env, log);
  } catch (e) {
    promotion?.dispose();
    if (e instanceof ValidationError) throw e;
    const f = describeRegistrarFailure(e);
    log({ event: 'not-serving', stage: 'registration', registrar: kind, error: f.code, reason: f.message });
    io.err(`error ${f.code}: ${kind} registrar: ${f.message}`);
    return ExitCode.RegistrationFailed;
  }
  // --standby: warm, then wait unregistered (/readyz 503) until promoted; see StandbyRegistrar.
  let standbyRegistrar: StandbyRegistrar | undefined;
  if (promotion && built.registrar) {
    standbyRegistrar = new StandbyRegistrar({
      inner: built.registrar,
      replica: {
        get warmTargets(): QuickPassReplica['warmTargets'] {
          return agent.replica.warmTargets;
        },
        infer: (feeds) => agent.replica.infer(feeds),
        open: () => agent.replica.open(),
      },
      log,
      promoted: promotion.promoted,
    });
  }
  const agent: ReplicaAgent = new ReplicaAgent({
    name: nameArg ?? model.name,
    modelPath: model.path,
    session,
    spec,
    host,
    port,
    maxConcurrency,
    maxQueue,
    minServiceMs,
    maxBodyBytes,
    maxOutputBytes,
    requestTimeoutMs,
    inputLimitFactor,
    httpWarmRounds,
    shapeStore,
    shapesSaveMs,
    registrar: standbyRegistrar ?? built.registrar,
    readyWhen: built.readyWhen,
    replicaId: replicaIdArg ?? built.replicaId,
    heartbeatMs: registration.heartbeatMs,
    log,
  });
  built.attach?.(agent.replica, log);
  if (standbyRegistrar)
    agent.replica.holdUntilOpened(`standby: warm, not registered until promoted (${PROMOTE_SIGNAL})`);
  if (built.where)
    log({ event: 'registrar', registrar: kind, where: built.where, heartbeatMs: registration.heartbeatMs });
  const signal = io.untilSignal();
  try {
    const outcome = await Promise.race([
      agent.start(),
      signal.then((sig) => ({
        ok: false as const,
        stage: 'signal' as const,
        code: 'E_SIGNAL',
        reason: `stopped by ${sig} during start`,
      })),
    ]);
    if (!outcome.ok) {
      log({ event: 'not-serving', stage: outcome.stage, error: outcome.code, reason: outcome.reason });
      if (outcome.stage === 'signal') return ExitCode.Ok;
      io.err(`error ${outcome.code}: ${outcome.reason}`);
      const code =
        outcome.stage === 'registration'
          ? ExitCode.RegistrationFailed
          : BAD_INPUT_CODES.has(outcome.code)
            ? ExitCode.BadInput
            : ExitCode.NotReady;
      if (registration.onFailure === 'stay') {
        log({
          event: 'staying-unready',
          url: agent.url,
          exitCode: code,
          reason: 'until SIGTERM (--on-failure stay); /readyz answers 503 with the reason',
        });
        log({ event: 'shutting-down', signal: await signal });
      }
      return code;
    }
    log({ event: 'serving', url: agent.url, replicaId: outcome.registration.replicaId, registrar: kind });
    const sig = await signal;
    log({ event: 'shutting-down', signal: sig });
    return ExitCode.Ok;
  } finally {
    standbyRegistrar?.interrupt();
    promotion?.dispose();
    built.interrupt?.();
    await agent.shutdown();
    await built.close();
    for (const c of redisClients) c.disconnect();
    log({ event: 'stopped' });
  }
}

import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DaemonDecisionRecord } from '../src/daemon/daemon-record.js';
import { AdviceBoard } from '../src/keda/advice-board.js';
import {
  EXTERNAL_SCALER_PROTO,
  KedaExternalScalerServer,
  MAX_STATUS_MESSAGE_CHARS,
  PROTO_LOADER_OPTIONS,
} from '../src/keda/keda-external-scaler-server.js';

type Unary<Req, Res> = (req: Req, cb: (err: grpc.ServiceError | null, res: Res) => void) => void;
interface Ref {
  name: string;
  namespace: string;
  scalerMetadata: Record<string, string>;
}
interface ScalerClient extends grpc.Client {
  IsActive: Unary<Ref, { result: boolean }>;
  GetMetricSpec: Unary<Ref, { metricSpecs: { metricName: string; targetSize: number; targetSizeFloat: number }[] }>;
  GetMetrics: Unary<
    { scaledObjectRef: Ref; metricName: string },
    { metricValues: { metricName: string; metricValue: number; metricValueFloat: number }[] }
  >;
  StreamIsActive(req: Ref): grpc.ClientReadableStream<{ result: boolean }>;
  StreamMetricSpec(req: Ref): grpc.ClientReadableStream<unknown>;
}

/** A real gRPC client built from KEDA's published proto, as KEDA's operator would call it. */
async function client(url: string): Promise<ScalerClient> {
  const def = await protoLoader.load(EXTERNAL_SCALER_PROTO, PROTO_LOADER_OPTIONS);
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    externalscaler: { ExternalScaler: grpc.ServiceClientConstructor };
  };
  return new pkg.externalscaler.ExternalScaler(url, grpc.credentials.createInsecure()) as unknown as ScalerClient;
}

function call<Req, Res>(fn: Unary<Req, Res>, c: ScalerClient, req: Req): Promise<Res> {
  return new Promise((resolve, reject) => fn.call(c, req, (err, res) => (err ? reject(err) : resolve(res))));
}

function decision(
  model: string,
  from: number,
  to: number,
  extra: Partial<DaemonDecisionRecord> = {},
): DaemonDecisionRecord {
  const time = '2026-12-07T12:00:00.000Z';
  return {
    kind: 'decision',
    id: `${model}@1`,
    time,
    model,
    action: to > from ? 'scale-up' : to < from ? 'scale-down' : 'hold',
    from,
    to,
    reasons: ['ForecastScaleAhead'],
    message: 'ahead',
    observedPerS: 1,
    forecastP50PerS: 2,
    forecastUpperPerS: 3,
    bandQuantile: 0.93,
    leadTimeS: 45,
    windowStartS: 0,
    windowEndS: 5,
    sla: { latencyTargetP95Ms: 500, capacityPerReplicaPerS: 10, minWarmReplicas: 0, maxReplicas: 10 },
    acted: 'dry-run',
    desired: from,
    ready: from,
    warming: 0,
    measuredLeadTimeS: null,
    leader: true,
    dryRun: true,
    ...extra,
  } as DaemonDecisionRecord;
}

const ref = (model?: string): Ref => ({
  name: 'llama-so',
  namespace: 'serving',
  scalerMetadata: model === undefined ? {} : { model },
});

describe('KEDA external scaler (gRPC) over the daemon decisions', () => {
  let board: AdviceBoard;
  let server: KedaExternalScalerServer;
  let c: ScalerClient;

  beforeEach(async () => {
    board = new AdviceBoard([
      { name: 'llama', mode: 'advise' },
      { name: 'bert', mode: 'act' },
      { name: 'phi', mode: 'advise' },
    ]);
    server = new KedaExternalScalerServer(board, { host: '127.0.0.1', port: 0, maxStreams: 2 });
    c = await client(await server.listen());
  });

  afterEach(async () => {
    c.close();
    await server.close();
  });

  it("answers GetMetricSpec, GetMetrics and IsActive with the planner's forecast-ahead replica count", async () => {
    board.write(decision('llama', 2, 5));
    const spec = await call(c.GetMetricSpec, c, ref('llama'));
    expect(spec.metricSpecs).toEqual([{ metricName: 'warmpool-llama-replicas', targetSize: 1, targetSizeFloat: 1 }]);
    const metrics = await call(c.GetMetrics, c, {
      scaledObjectRef: ref('llama'),
      metricName: 's0-warmpool-llama-replicas',
    });
    expect(metrics.metricValues).toEqual([
      { metricName: 's0-warmpool-llama-replicas', metricValue: 5, metricValueFloat: 5 },
    ]);
    expect((await call(c.IsActive, c, ref('llama'))).result).toBe(true);
    board.write(decision('llama', 5, 0));
    expect((await call(c.IsActive, c, ref('llama'))).result).toBe(false);
    expect(
      (await call(c.GetMetrics, c, { scaledObjectRef: ref('llama'), metricName: '' })).metricValues[0],
    ).toMatchObject({ metricName: 'warmpool-llama-replicas', metricValue: 0 });
  });

  it('a provider that could not be read does not overwrite the forecast', async () => {
    board.write(decision('llama', 2, 4));
    board.write(decision('llama', 2, 2, { reasons: ['ProviderUnavailable'], acted: 'error' }));
    expect(
      (await call(c.GetMetrics, c, { scaledObjectRef: ref('llama'), metricName: 'x' })).metricValues[0]!.metricValue,
    ).toBe(4);
  });

  it('bad requests get status codes and messages naming the ScaledObject and the key', async () => {
    const noModel = (await call(c.IsActive, c, ref()).catch((e: unknown) => e)) as grpc.ServiceError;
    expect(noModel.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(noModel.details).toContain('ScaledObject serving/llama-so');
    expect(noModel.details).toContain('"model"');
    const unknown = (await call(c.GetMetricSpec, c, ref('gpt')).catch((e: unknown) => e)) as grpc.ServiceError;
    expect(unknown.code).toBe(grpc.status.NOT_FOUND);
    expect(unknown.details).toMatch(/"gpt" is not in warmpool.yaml \(models: llama, bert, phi\)/);
    const acting = (await call(c.GetMetrics, c, { scaledObjectRef: ref('bert'), metricName: 'm' }).catch(
      (e: unknown) => e,
    )) as grpc.ServiceError;
    expect(acting.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(acting.details).toContain('mode: advise');
    const pending = (await call(c.IsActive, c, ref('phi')).catch((e: unknown) => e)) as grpc.ServiceError;
    expect(pending.code).toBe(grpc.status.UNAVAILABLE);
    const unimplemented = await new Promise<grpc.ServiceError>((resolve) =>
      c
        .StreamMetricSpec(ref('llama'))
        .on('error', resolve)
        .on('data', () => undefined),
    );
    expect(unimplemented.code).toBe(grpc.status.UNIMPLEMENTED);
    // The server still answers after all of that.
    board.write(decision('llama', 1, 3));
    expect((await call(c.IsActive, c, ref('llama'))).result).toBe(true);
  });

  it('StreamIsActive pushes the current state at once and every change of activeness (external-push)', async () => {
    board.write(decision('llama', 0, 2));
    const stream = c.StreamIsActive(ref('llama'));
    const seen: boolean[] = [];
    const waiters: (() => void)[] = [];
    stream.on('data', (m: { result: boolean }) => {
      seen.push(m.result);
      for (const w of waiters.splice(0)) w();
    });
    stream.on('error', () => undefined);
    const next = async (n: number): Promise<void> => {
      while (seen.length < n) await new Promise<void>((resolve) => waiters.push(resolve));
    };
    await next(1);
    board.write(decision('llama', 2, 3)); // still active: nothing pushed
    board.write(decision('phi', 0, 1)); // another model: nothing pushed here
    board.write(decision('llama', 3, 0));
    await next(2);
    board.write(decision('llama', 0, 1));
    await next(3);
    expect(seen).toEqual([true, false, true]);
    stream.cancel();
  });

  it('bounds the open streams and refuses streams for models it cannot serve', async () => {
    board.write(decision('llama', 0, 1));
    const open = [c.StreamIsActive(ref('llama')), c.StreamIsActive(ref('llama'))];
    await Promise.all(open.map((s) => new Promise((resolve) => s.once('data', resolve))));
    const third = await new Promise<grpc.ServiceError>((resolve) =>
      c
        .StreamIsActive(ref('llama'))
        .on('error', resolve)
        .on('data', () => undefined),
    );
    expect(third.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    const acting = await new Promise<grpc.ServiceError>((resolve) =>
      c
        .StreamIsActive(ref('bert'))
        .on('error', resolve)
        .on('data', () => undefined),
    );
    expect(acting.code).toBe(grpc.status.FAILED_PRECONDITION);
    for (const s of open) s.on('error', () => undefined).cancel();
  });

  it('hostile refs (a 3 MB name, a 1 MB model) get a short status message and the connection keeps answering', async () => {
    // Before the fix the message echoed the name whole: a 3 MB `grpc-message` trailer stalled the caller's connection
    // (the call never answered, and every later call on that connection waited too).
    board.write(decision('llama', 0, 1));
    const deadline = () => ({ deadline: Date.now() + 15_000 }) as never;
    const huge = {
      name: 'n'.repeat(3_000_000),
      namespace: 's'.repeat(100_000),
      scalerMetadata: { model: 'x'.repeat(1_000_000) },
    };
    const err = await new Promise<grpc.ServiceError>((resolve) => c.IsActive(huge, deadline(), (e) => resolve(e!)));
    expect(err.code).toBe(grpc.status.NOT_FOUND);
    expect(err.details.length).toBeLessThanOrEqual(MAX_STATUS_MESSAGE_CHARS);
    expect(err.details).toContain('(3000000 characters)');
    const stream = await new Promise<grpc.ServiceError>((resolve) =>
      c
        .StreamIsActive(huge)
        .on('error', resolve)
        .on('data', () => undefined),
    );
    expect(stream.code).toBe(grpc.status.NOT_FOUND);
    expect(stream.details.length).toBeLessThanOrEqual(MAX_STATUS_MESSAGE_CHARS);
    const next = await new Promise<{ result: boolean }>((resolve, reject) =>
      c.IsActive(ref('llama'), deadline(), (e, r) => (e ? reject(e) : resolve(r))),
    );
    expect(next.result).toBe(true);
  }, 30_000);

  it('a request that is not a valid protobuf is INVALID_ARGUMENT naming the method, and the server keeps answering', async () => {
    // Before: grpc-js answered INTERNAL "Error deserializing request" (a server fault, naming nothing).
    board.write(decision('llama', 0, 1));
    const raw = new grpc.Client(server.url!, grpc.credentials.createInsecure());
    try {
      const garbage = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]); // a tag of wire type 7, which does not exist
      for (const method of ['IsActive', 'GetMetrics', 'GetMetricSpec']) {
        const err = await new Promise<grpc.ServiceError>((resolve) =>
          raw.makeUnaryRequest(
            `/externalscaler.ExternalScaler/${method}`,
            (b: Buffer) => b,
            (b: Buffer) => b,
            garbage,
            (e) => resolve(e!),
          ),
        );
        expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
        expect(err.details).toContain(`${method}: the request is not a valid protobuf message`);
      }
      const stream = await new Promise<grpc.ServiceError>((resolve) =>
        raw
          .makeServerStreamRequest(
            '/externalscaler.ExternalScaler/StreamIsActive',
            (b: Buffer) => b,
            (b: Buffer) => b,
            garbage,
          )
          .on('error', resolve)
          .on('data', () => undefined),
      );
      expect(stream.code).toBe(grpc.status.INVALID_ARGUMENT);
    } finally {
      raw.close();
    }
    expect((await call(c.IsActive, c, ref('llama'))).result).toBe(true);
  });

  it('close ends open streams and stops listening', async () => {
    board.write(decision('llama', 0, 1));
    const stream = c.StreamIsActive(ref('llama'));
    await new Promise((resolve) => stream.once('data', resolve));
    const ended = new Promise<void>((resolve) => {
      stream.on('end', resolve);
      stream.on('error', () => resolve());
    });
    await server.close();
    await ended;
    const err = (await new Promise<grpc.ServiceError>((resolve) =>
      c.IsActive(ref('llama'), { deadline: Date.now() + 5000 } as never, (e) => resolve(e!)),
    )) as grpc.ServiceError;
    expect(err.code).toBe(grpc.status.UNAVAILABLE);
  });
});

describe('AdviceBoard', () => {
  it('reads the models and modes anew on each use (a reloaded config applies at once) and forgets removed models', () => {
    let models = [{ name: 'llama', mode: 'act' as const }];
    const board = new AdviceBoard(() => models);
    board.write(decision('llama', 1, 3));
    expect(board.lookup('llama')).toEqual({ kind: 'acting' });
    models = [{ name: 'llama', mode: 'advise' as never }];
    expect(board.lookup('llama')).toMatchObject({ kind: 'ok', advice: { replicas: 3, active: true } });
    models = [{ name: 'phi', mode: 'advise' as never }];
    board.write(decision('phi', 0, 2));
    expect(board.lookup('llama')).toEqual({ kind: 'unknown', known: ['phi'] });
    models = [
      { name: 'phi', mode: 'advise' as never },
      { name: 'llama', mode: 'advise' as never },
    ];
    expect(board.lookup('llama')).toEqual({ kind: 'pending' });
  });
});

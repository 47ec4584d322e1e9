import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { WarmpoolError } from '@warmpool/domain';
import type { Advice, AdviceBoard } from './advice-board.js';
import type { KedaScalerConfig } from './keda-scaler-config.js';

/** KEDA's proto as published (kedacore/keda pkg/scalers/externalscaler), shipped in this package's `proto/`. */
export const EXTERNAL_SCALER_PROTO = fileURLToPath(new URL('../../proto/externalscaler.proto', import.meta.url));

/** The proto-loader options both the server and test clients use (KEDA's field names, int64 as numbers). */
export const PROTO_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

interface ScaledObjectRef {
  readonly name?: string;
  readonly namespace?: string;
  readonly scalerMetadata?: Record<string, string>;
}

interface GetMetricsRequest {
  readonly scaledObjectRef?: ScaledObjectRef;
  readonly metricName?: string;
}

/** The external metric a ScaledObject of a model gets: the forecast-ahead replica count, one unit per replica. */
export function metricNameOf(model: string): string {
  return `warmpool-${model}-replicas`;
}

/**
 * Longest text a status message carries. The message travels in an HTTP/2 trailer (`grpc-message`): one far larger
 * than a peer's header list limit (a request echoing a 3 MB ScaledObject name) stalls the caller's whole connection
 * instead of answering, and KEDA's operator shares one connection for every ScaledObject.
 */
export const MAX_STATUS_MESSAGE_CHARS = 1000;
/** Longest echo of a value from the request (a name, a namespace, a model) inside a message. */
const MAX_ECHO_CHARS = 100;

/** `s` as quoted in a message: at most MAX_ECHO_CHARS characters, the cut marked with its full length. */
function clip(s: string): string {
  return s.length > MAX_ECHO_CHARS ? `${s.slice(0, MAX_ECHO_CHARS)}… (${s.length} characters)` : s;
}

function describeRef(ref: ScaledObjectRef | undefined): string {
  return `ScaledObject ${clip(ref?.namespace || '?')}/${clip(ref?.name || '?')}`;
}

/** A gRPC error with a status code and a message naming what was wrong and where (at most MAX_STATUS_MESSAGE_CHARS). */
function fail(code: grpc.status, message: string): grpc.ServiceError {
  const bounded =
    message.length > MAX_STATUS_MESSAGE_CHARS ? `${message.slice(0, MAX_STATUS_MESSAGE_CHARS - 1)}…` : message;
  return Object.assign(new Error(bounded), { code, details: bounded, metadata: new grpc.Metadata() });
}

/** What a request that is not a valid protobuf of its type deserializes to: its handler answers INVALID_ARGUMENT. */
class MalformedRequest {
  constructor(
    readonly method: string,
    readonly detail: string,
  ) {}
}

/**
 * The service with request deserializers that never throw: grpc-js answers a request that fails to deserialize with
 * INTERNAL "Error deserializing request" (a server fault, naming nothing); this way the handler says what was wrong.
 */
function tolerantOf(service: grpc.ServiceDefinition): grpc.ServiceDefinition {
  const out: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [name, m] of Object.entries(service)) {
    out[name] = {
      ...m,
      requestDeserialize: (bytes: Buffer) => {
        try {
          return m.requestDeserialize(bytes);
        } catch (err) {
          return new MalformedRequest(name, err instanceof Error ? err.message : String(err));
        }
      },
    };
  }
  return out as grpc.ServiceDefinition;
}

/** Throws INVALID_ARGUMENT for a request that did not deserialize. */
function wellFormed(request: unknown): void {
  if (request instanceof MalformedRequest)
    throw fail(
      grpc.status.INVALID_ARGUMENT,
      `${request.method}: the request is not a valid protobuf message of its type (${request.detail.slice(0, 200)})`,
    );
}

/**
 * KEDA's external scaler gRPC interface over warmpool's advice (`externalscaler.proto`: IsActive, StreamIsActive,
 * GetMetricSpec, GetMetrics; StreamMetricSpec is left unimplemented, which KEDA reads as "pull"). A ScaledObject with
 * `type: external` (or `external-push`) and `metadata: { scalerAddress, model }` gets one metric per model,
 * `warmpool-<model>-replicas`, whose value is the planner's forecast-ahead replica count with a target of 1 per
 * replica, so KEDA's HPA asks for exactly that many; IsActive is "more than zero replicas". Only models with
 * `mode: advise` are served (a model warmpool scales itself must not also be scaled by KEDA).
 *
 * Errors name the ScaledObject and the key: no `model` in its metadata → INVALID_ARGUMENT, a model not in
 * warmpool.yaml → NOT_FOUND, a model in `mode: act` → FAILED_PRECONDITION, no decision yet → UNAVAILABLE (KEDA
 * retries). StreamIsActive streams are bounded (`maxStreams`, then RESOURCE_EXHAUSTED) and ended on close.
 */
export class KedaExternalScalerServer {
  private server: grpc.Server | undefined;
  private boundUrl: string | undefined;
  private readonly streams = new Set<grpc.ServerWritableStream<ScaledObjectRef, unknown>>();

  constructor(
    private readonly board: AdviceBoard,
    private readonly config: KedaScalerConfig,
  ) {}

  /** `host:port` once listening. */
  get url(): string | undefined {
    return this.boundUrl;
  }

  async listen(): Promise<string> {
    if (this.boundUrl) return this.boundUrl;
    const definition = await protoLoader.load(EXTERNAL_SCALER_PROTO, PROTO_LOADER_OPTIONS);
    const pkg = grpc.loadPackageDefinition(definition) as unknown as {
      externalscaler: { ExternalScaler: grpc.ServiceClientConstructor };
    };
    const server = new grpc.Server();
    server.addService(tolerantOf(pkg.externalscaler.ExternalScaler.service), {
      IsActive: (call: grpc.ServerUnaryCall<ScaledObjectRef, unknown>, cb: grpc.sendUnaryData<unknown>) =>
        this.unary(cb, () => {
          wellFormed(call.request);
          return { result: this.advice(call.request).active };
        }),
      GetMetricSpec: (call: grpc.ServerUnaryCall<ScaledObjectRef, unknown>, cb: grpc.sendUnaryData<unknown>) =>
        this.unary(cb, () => {
          wellFormed(call.request);
          const model = this.modelOf(call.request);
          this.advice(call.request);
          return { metricSpecs: [{ metricName: metricNameOf(model), targetSize: 1, targetSizeFloat: 1 }] };
        }),
      GetMetrics: (call: grpc.ServerUnaryCall<GetMetricsRequest, unknown>, cb: grpc.sendUnaryData<unknown>) =>
        this.unary(cb, () => {
          wellFormed(call.request);
          const advice = this.advice(call.request.scaledObjectRef);
          const metricName = call.request.metricName || metricNameOf(advice.model);
          return { metricValues: [{ metricName, metricValue: advice.replicas, metricValueFloat: advice.replicas }] };
        }),
      StreamIsActive: (call: grpc.ServerWritableStream<ScaledObjectRef, unknown>) => this.streamIsActive(call),
    });
    const address = `${this.config.host.includes(':') ? `[${this.config.host}]` : this.config.host}:${this.config.port}`;
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, p) =>
        err
          ? reject(
              new WarmpoolError(
                'E_KEDA_SCALER_LISTEN',
                `the KEDA external scaler could not listen on ${address}: ${err.message}`,
                { cause: err },
              ),
            )
          : resolve(p),
      ),
    );
    this.server = server;
    this.boundUrl = `${this.config.host}:${port}`;
    return this.boundUrl;
  }

  private unary<T>(cb: grpc.sendUnaryData<T>, answer: () => T): void {
    try {
      cb(null, answer());
    } catch (err) {
      cb(
        err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'number'
          ? (err as grpc.ServiceError)
          : fail(grpc.status.INTERNAL, err instanceof Error ? err.message : String(err)),
      );
    }
  }

  private modelOf(ref: ScaledObjectRef | undefined): string {
    const model = ref?.scalerMetadata?.model;
    if (typeof model !== 'string' || model.trim() === '') {
      throw fail(
        grpc.status.INVALID_ARGUMENT,
        `${describeRef(ref)}: trigger metadata "model" is missing: set it to the model's name in warmpool.yaml`,
      );
    }
    return model.trim();
  }

  private advice(ref: ScaledObjectRef | undefined): Advice {
    const model = this.modelOf(ref);
    const found = this.board.lookup(model);
    switch (found.kind) {
      case 'ok':
        return found.advice;
      case 'unknown':
        throw fail(
          grpc.status.NOT_FOUND,
          `${describeRef(ref)}: model "${clip(model)}" is not in warmpool.yaml (models: ${found.known.join(', ') || 'none'})`,
        );
      case 'acting':
        throw fail(
          grpc.status.FAILED_PRECONDITION,
          `${describeRef(ref)}: model "${clip(model)}" has mode act (warmpool scales it itself); set mode: advise on it to let KEDA scale it on warmpool's forecast`,
        );
      case 'pending':
        throw fail(
          grpc.status.UNAVAILABLE,
          `${describeRef(ref)}: no decision for model "${clip(model)}" yet (the daemon decides every tick); try again`,
        );
    }
  }

  /** Sends the current activeness at once, then again whenever the model's advice changes, until KEDA hangs up. */
  private streamIsActive(call: grpc.ServerWritableStream<ScaledObjectRef, unknown>): void {
    let model: string;
    try {
      wellFormed(call.request);
      model = this.modelOf(call.request);
      const kind = this.board.lookup(model).kind;
      if (kind === 'unknown' || kind === 'acting') this.advice(call.request);
    } catch (err) {
      // grpc-js ends a server stream with the error's status on 'error'.
      call.emit('error', err as grpc.ServiceError);
      return;
    }
    if (this.streams.size >= this.config.maxStreams) {
      call.emit(
        'error',
        fail(
          grpc.status.RESOURCE_EXHAUSTED,
          `${describeRef(call.request)}: ${this.streams.size} StreamIsActive streams are open (kedaScaler.maxStreams ${this.config.maxStreams})`,
        ),
      );
      return;
    }
    this.streams.add(call);
    let last: boolean | undefined;
    const send = (advice: Advice): void => {
      if (advice.model !== model || advice.active === last || call.cancelled || call.destroyed) return;
      last = advice.active;
      call.write({ result: advice.active });
    };
    const unsubscribe = this.board.subscribe(send);
    const current = this.board.lookup(model);
    if (current.kind === 'ok') send(current.advice);
    const done = (): void => {
      unsubscribe();
      this.streams.delete(call);
    };
    call.on('cancelled', done);
    call.on('close', done);
    call.on('error', done);
  }

  /** Ends the open streams and stops the server (waits for calls in flight, at most `graceMs`). */
  async close(graceMs = 2000): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.boundUrl = undefined;
    for (const call of this.streams) call.end();
    this.streams.clear();
    if (!server) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, graceMs);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

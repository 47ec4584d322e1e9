import { parentPort } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { ModelSessionFactory } from '../session/model-session-factory.js';
import type { WireError, WireTensor, WorkerReply, WorkerRequest } from './worker-messages.js';

/**
 * The inference worker thread: owns the ONNX Runtime session, so a long `run` (synchronous inside
 * onnxruntime-node) blocks this thread, never the HTTP server's event loop. One message at a time.
 */
const port = parentPort;
if (!port) throw new Error('inference-worker-main runs as a worker thread');

let session: ort.InferenceSession | undefined;
const RUN_OPTIONS: ort.InferenceSession.RunOptions = { logSeverityLevel: 4 }; // errors are returned, not printed

function wireError(e: unknown): WireError {
  const err = e as { code?: unknown; message?: unknown; file?: unknown };
  return {
    code: typeof err?.code === 'string' ? err.code : 'E_INFERENCE',
    message: e instanceof Error ? e.message : String(e),
    ...(typeof err?.file === 'string' ? { file: err.file } : {}),
  };
}

function ownBuffer(v: ArrayBufferView): boolean {
  return v.byteOffset === 0 && v.byteLength === v.buffer.byteLength && v.buffer instanceof ArrayBuffer;
}

function post(reply: WorkerReply, transfer: ArrayBuffer[] = []): void {
  try {
    port!.postMessage(reply, transfer);
  } catch (e) {
    if (transfer.length === 0) throw e;
    port!.postMessage(reply); // a buffer the runtime owns cannot be moved: copy it instead
  }
}

port.on('message', (msg: WorkerRequest) => {
  void handle(msg);
});

async function handle(msg: WorkerRequest): Promise<void> {
  if (msg.kind === 'load') {
    try {
      const loaded = await new ModelSessionFactory(msg.session).create(msg.modelPath);
      session = loaded.session;
      const meta = (list: readonly ort.InferenceSession.ValueMetadata[]) =>
        list.map((m) =>
          m.isTensor
            ? { name: m.name, isTensor: true, type: m.type, shape: [...m.shape] }
            : { name: m.name, isTensor: false },
        );
      post({
        kind: 'loaded',
        loaded: {
          modelPath: loaded.modelPath,
          executionProvider: loaded.executionProvider,
          fallbacks: loaded.fallbacks,
          loadMs: loaded.loadMs,
          optimizedCacheHit: loaded.optimizedCacheHit,
          optimizedModelPath: loaded.optimizedModelPath,
          inputMetadata: meta(session.inputMetadata),
          outputMetadata: meta(session.outputMetadata),
          inputNames: [...session.inputNames],
          outputNames: [...session.outputNames],
        },
      });
    } catch (e) {
      post({ kind: 'load-failed', error: wireError(e) });
    }
    return;
  }
  if (msg.kind === 'release') {
    await session?.release();
    session = undefined;
    post({ kind: 'released' });
    return;
  }
  const id = msg.id;
  try {
    if (!session) throw Object.assign(new Error('no session loaded'), { code: 'E_INFERENCE' });
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(msg.feeds))
      feeds[name] = new ort.Tensor(t.type as 'float32', t.data as Float32Array, [...t.dims]);
    const t0 = performance.now();
    const out = msg.outputs
      ? await session.run(feeds, [...msg.outputs], RUN_OPTIONS)
      : await session.run(feeds, RUN_OPTIONS);
    const runMs = performance.now() - t0;
    const outputs: Record<string, WireTensor> = {};
    const transfer: ArrayBuffer[] = [];
    for (const [name, v] of Object.entries(out)) {
      const data = v.data as ArrayBufferView;
      outputs[name] = { type: v.type, dims: [...v.dims], data };
      if (ownBuffer(data) && !transfer.includes(data.buffer as ArrayBuffer)) transfer.push(data.buffer as ArrayBuffer);
    }
    post({ kind: 'result', id, outputs, runMs }, transfer);
  } catch (e) {
    post({ kind: 'run-failed', id, error: wireError(e) });
  }
}

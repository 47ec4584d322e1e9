import { Worker } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { InferenceRequestError } from '../errors/inference-request-error.js';
import { ModelLoadError, type ModelLoadErrorCode } from '../errors/model-load-error.js';
import type { LoadedSession } from '../session/model-session-factory.js';
import type { SessionConfig } from '../session/session-options.js';
import type { WireError, WireLoaded, WireTensor, WorkerReply, WorkerRequest } from './worker-messages.js';

/** What a session run in the worker gives back. */
export interface WorkerRunResult {
  readonly outputs: Record<string, ort.Tensor>;
  /** Time inside ONNX Runtime's run, measured in the worker. */
  readonly runMs: number;
}

/** LoadedSession without the session object (which lives in the worker). */
export type WorkerLoaded = Omit<LoadedSession, 'session'>;

/** The compiled worker script: next to this file in dist/, or dist/'s copy when running from src/ (vitest). */
function workerScript(): URL {
  const here = import.meta.url;
  const base = here.endsWith('.ts') ? here.replace('/src/replica/', '/dist/replica/').replace(/\.ts$/, '.js') : here;
  return new URL('./inference-worker-main.js', base);
}

const LOAD_CODES: readonly ModelLoadErrorCode[] = ['E_MODEL_MISSING', 'E_MODEL_CORRUPT', 'E_MODEL_LOAD'];

/** Runtime failures that are the host's, not the request's (500, not 400). */
const HOST_FAILURE = /failed to allocate|bad_alloc|out of memory|cuda|cudnn|cublas|no session loaded/i;

/**
 * An ONNX Runtime session in a worker thread, so inference never blocks the event loop that
 * answers health checks. Runs are sent one message each and answered in order (the worker runs
 * one at a time). Looks like the part of `ort.InferenceSession` the replica uses: `run`,
 * `inputMetadata`, `outputMetadata`, `inputNames`, `outputNames`, `release`.
 */
export class InferenceWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (r: WorkerRunResult) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private loadWaiter: { resolve: (l: WireLoaded) => void; reject: (e: Error) => void } | undefined;
  private releaseWaiter: (() => void) | undefined;
  private exitError: Error | undefined;
  private meta: WireLoaded | undefined;

  /** Called once if the worker dies (crash, native abort): every pending run was rejected. */
  onExit: ((e: Error) => void) | undefined;

  private constructor() {
    this.worker = new Worker(workerScript());
    this.worker.on('message', (m: WorkerReply) => this.onMessage(m));
    this.worker.on('error', (e) =>
      this.fail(new InferenceRequestError('E_WORKER_EXITED', `inference worker failed: ${e.message}`, { cause: e })),
    );
    this.worker.on('exit', (code) =>
      this.fail(new InferenceRequestError('E_WORKER_EXITED', `inference worker exited (code ${code})`)),
    );
  }

  /** Starts a worker and loads the model there; rejects with a ModelLoadError naming the file. */
  static async load(
    modelPath: string,
    session: Partial<SessionConfig>,
  ): Promise<{ worker: InferenceWorker; loaded: WorkerLoaded }> {
    const w = new InferenceWorker();
    try {
      const meta = await new Promise<WireLoaded>((resolve, reject) => {
        w.loadWaiter = { resolve, reject };
        w.send({ kind: 'load', modelPath, session });
      });
      w.meta = meta;
      const { inputMetadata: _i, outputMetadata: _o, inputNames: _n, outputNames: _m, ...loaded } = meta;
      return { worker: w, loaded };
    } catch (e) {
      await w.terminate();
      throw e;
    }
  }

  get inputMetadata(): ort.InferenceSession['inputMetadata'] {
    return (this.meta?.inputMetadata ?? []) as ort.InferenceSession['inputMetadata'];
  }

  get outputMetadata(): ort.InferenceSession['outputMetadata'] {
    return (this.meta?.outputMetadata ?? []) as ort.InferenceSession['outputMetadata'];
  }

  get inputNames(): readonly string[] {
    return this.meta?.inputNames ?? [];
  }

  get outputNames(): readonly string[] {
    return this.meta?.outputNames ?? [];
  }

  /** Runs the session in the worker. Runtime errors are InferenceRequestError (E_INFERENCE_INPUT or E_INFERENCE). */
  runTimed(feeds: Record<string, ort.Tensor>, outputs?: readonly string[]): Promise<WorkerRunResult> {
    if (this.exitError) return Promise.reject(this.exitError);
    const id = this.nextId++;
    const wire: Record<string, WireTensor> = {};
    for (const [name, t] of Object.entries(feeds))
      wire[name] = { type: t.type, dims: [...t.dims], data: t.data as ArrayBufferView };
    return new Promise<WorkerRunResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.send({ kind: 'run', id, feeds: wire, outputs });
    });
  }

  /** `ort.InferenceSession.run` shape (warm passes). */
  async run(feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
    return (await this.runTimed(feeds)).outputs;
  }

  /** Releases the session and ends the worker. */
  async release(): Promise<void> {
    if (!this.exitError) {
      await new Promise<void>((resolve) => {
        this.releaseWaiter = resolve;
        this.send({ kind: 'release' });
      });
    }
    await this.terminate();
  }

  private async terminate(): Promise<void> {
    this.exitError ??= new InferenceRequestError('E_WORKER_EXITED', 'inference worker stopped');
    await this.worker.terminate();
  }

  private send(msg: WorkerRequest): void {
    this.worker.postMessage(msg);
  }

  private onMessage(m: WorkerReply): void {
    if (m.kind === 'loaded') {
      this.loadWaiter?.resolve(m.loaded);
      this.loadWaiter = undefined;
    } else if (m.kind === 'load-failed') {
      this.loadWaiter?.reject(loadError(m.error));
      this.loadWaiter = undefined;
    } else if (m.kind === 'released') {
      this.releaseWaiter?.();
      this.releaseWaiter = undefined;
    } else {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.kind === 'result') {
        const outputs: Record<string, ort.Tensor> = {};
        for (const [name, t] of Object.entries(m.outputs))
          outputs[name] = new ort.Tensor(t.type as 'float32', t.data as Float32Array, [...t.dims]);
        p.resolve({ outputs, runMs: m.runMs });
      } else {
        p.reject(runError(m.error));
      }
    }
  }

  private fail(e: Error): void {
    if (this.exitError) return;
    this.exitError = e;
    this.loadWaiter?.reject(e);
    this.loadWaiter = undefined;
    this.releaseWaiter?.();
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
    this.onExit?.(e);
  }
}

function loadError(e: WireError): Error {
  if ((LOAD_CODES as readonly string[]).includes(e.code) && e.file) {
    const prefix = `model file ${e.file}: `;
    return new ModelLoadError(
      e.code as ModelLoadErrorCode,
      e.file,
      e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message,
    );
  }
  return Object.assign(new Error(e.message), { code: e.code });
}

/** ONNX Runtime's first line, without the log prefix, at most 300 characters. */
function shortRuntimeMessage(message: string): string {
  const line = message
    .split('\n')[0]!
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the pattern strips ANSI colour codes, which start with the ESC control character
    .replace(/\u001b\[[0-9;]*m/g, '')
    .trim();
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

function runError(e: WireError): Error {
  const text = shortRuntimeMessage(e.message);
  if (HOST_FAILURE.test(text)) return new InferenceRequestError('E_INFERENCE', `ONNX Runtime failed: ${text}`);
  return new InferenceRequestError('E_INFERENCE_INPUT', text);
}

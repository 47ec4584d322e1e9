import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeKubeStore } from './fake-kube-store.js';
import { FakeWorkloadController, type PodPhase, type WorkloadInit } from './fake-workload-controller.js';
import { FaultInjector } from './fault-injector.js';
import { kubeconfigYaml, writeKubeconfig } from './kubeconfig.js';
import {
  apiVersionOf,
  findResourceType,
  isWorkloadType,
  RESOURCE_TYPES,
  type KubeResourceType,
} from './kube-resources.js';
import { kubeStatus, KubeStatusError } from './kube-status.js';
import type { JsonObject } from './patches.js';

/** One request as the fake saw it, for assertions. */
export interface RecordedRequest {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly contentType: string | undefined;
  readonly authorization: string | undefined;
  readonly body: unknown;
  /** HTTP status answered (or, for an applyFirst delay, computed); 0 when the client went away before the request was handled. */
  status: number;
  /** Set when an injected fault decided the answer. */
  fault?: 'fail' | 'delay';
}

export interface FakeKubeApiServerOptions {
  /** Clock for timestamps the server writes (creationTimestamp, pod conditions). Default Date.now. */
  readonly nowMs?: () => number;
}

interface Answer {
  readonly code: number;
  readonly body: unknown;
  readonly headers: Record<string, string>;
}

interface Route {
  readonly type: KubeResourceType;
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  readonly subresource: string | undefined;
}

function parseRoute(path: string): Route | undefined {
  const core = /^\/api\/v1\/(?:namespaces\/([^/]+)\/)?([a-z]+)(?:\/([^/]+))?(?:\/([a-z]+))?$/.exec(path);
  const named = /^\/apis\/([^/]+)\/([^/]+)\/(?:namespaces\/([^/]+)\/)?([a-z]+)(?:\/([^/]+))?(?:\/([a-z]+))?$/.exec(
    path,
  );
  let group: string;
  let version: string;
  let parts: (string | undefined)[];
  if (core) {
    group = '';
    version = 'v1';
    parts = core.slice(1);
  } else if (named) {
    group = named[1]!;
    version = named[2]!;
    parts = named.slice(3);
  } else {
    return undefined;
  }
  const [namespace, resource, name, subresource] = parts;
  const type = findResourceType(group, version, resource!);
  if (!type) return undefined;
  if (namespace === undefined && name !== undefined) return undefined;
  return {
    type,
    namespace: namespace && decodeURIComponent(namespace),
    name: name && decodeURIComponent(name),
    subresource,
  };
}

/**
 * An HTTP fake of the Kubernetes API server on 127.0.0.1, faithful enough for the real
 * @kubernetes/client-node: apps/v1 Deployments and StatefulSets (with the scale subresource),
 * core/v1 Pods (following the scale; readiness set by the test; `pods/status` with readiness gates) and
 * Events, events.k8s.io/v1 Events, coordination.k8s.io/v1 Leases, autoscaling/v2 HorizontalPodAutoscalers and
 * KEDA's keda.sh/v1alpha1 ScaledObjects. Optimistic concurrency (409 on a stale
 * resourceVersion), Status error bodies, fault injection and request recording.
 */
export class FakeKubeApiServer {
  readonly store: FakeKubeStore;
  readonly workloads: FakeWorkloadController;
  readonly faults = new FaultInjector();
  readonly requests: RecordedRequest[] = [];
  /** False: keda.sh/v1alpha1 answers 404 as on a cluster without KEDA's CRDs. */
  kedaInstalled = true;
  private server: Server | undefined;
  private baseUrl = '';
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(options: FakeKubeApiServerOptions = {}) {
    this.store = new FakeKubeStore(options.nowMs ?? Date.now);
    this.workloads = new FakeWorkloadController(this.store);
    this.store.hooks = {
      afterWrite: (type, obj) => {
        if (isWorkloadType(type)) this.workloads.reconcile(type, obj);
      },
    };
  }

  /** Starts listening on an ephemeral loopback port. */
  static async start(options: FakeKubeApiServerOptions = {}): Promise<FakeKubeApiServer> {
    const fake = new FakeKubeApiServer(options);
    await fake.listen();
    return fake;
  }

  async listen(): Promise<void> {
    const server = createServer((req, res) => this.onRequest(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const addr = server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${addr.port}`;
  }

  get url(): string {
    return this.baseUrl;
  }

  /** A kubeconfig (YAML) for this server, with `insecure-skip-tls-verify` as plain http needs. */
  kubeconfig(namespace?: string): string {
    return kubeconfigYaml({ server: this.baseUrl, namespace });
  }

  async writeKubeconfig(path: string, namespace?: string): Promise<string> {
    return writeKubeconfig(path, { server: this.baseUrl, namespace });
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // ---- test controls -------------------------------------------------------------------------

  addDeployment(init: Omit<WorkloadInit, 'kind'>): JsonObject {
    return this.workloads.addWorkload({ ...init, kind: 'Deployment' });
  }

  addStatefulSet(init: Omit<WorkloadInit, 'kind'>): JsonObject {
    return this.workloads.addWorkload({ ...init, kind: 'StatefulSet' });
  }

  /** Changes spec.replicas as another actor would (kubectl scale, HPA). */
  setReplicas(kind: 'Deployment' | 'StatefulSet', name: string, replicas: number, namespace = 'default'): void {
    const type = kind === 'Deployment' ? RESOURCE_TYPES.deployments : RESOURCE_TYPES.statefulsets;
    this.store.patch(type, namespace, name, 'application/merge-patch+json', { spec: { replicas } });
  }

  pods(namespace = 'default', labelSelector?: string): JsonObject[] {
    return this.store.list(RESOURCE_TYPES.pods, namespace, labelSelector);
  }

  setPodReady(name: string, ready: boolean, namespace = 'default'): void {
    this.workloads.setPodReady(name, ready, namespace);
  }

  setPodPhase(name: string, phase: PodPhase, namespace = 'default'): void {
    this.workloads.setPodPhase(name, phase, namespace);
  }

  /** Makes every pod matching the selector Ready; returns how many changed. */
  setAllPodsReady(namespace = 'default', labelSelector?: string): number {
    let n = 0;
    for (const pod of this.pods(namespace, labelSelector)) {
      this.setPodReady(String((pod.metadata as JsonObject).name), true, namespace);
      n++;
    }
    return n;
  }

  /** An autoscaling/v2 HorizontalPodAutoscaler whose scaleTargetRef is `target` (kind Deployment by default). */
  addHpa(init: {
    name: string;
    namespace?: string;
    target: { kind?: string; name: string; apiVersion?: string };
    minReplicas?: number;
    maxReplicas?: number;
  }): JsonObject {
    const { kind = 'Deployment', name, apiVersion = 'apps/v1' } = init.target;
    return this.store.create(RESOURCE_TYPES.horizontalPodAutoscalers, init.namespace ?? 'default', {
      metadata: { name: init.name },
      spec: {
        scaleTargetRef: { apiVersion, kind, name },
        minReplicas: init.minReplicas ?? 1,
        maxReplicas: init.maxReplicas ?? 10,
      },
    });
  }

  /** A KEDA ScaledObject whose scaleTargetRef names `target` (KEDA's default kind Deployment when `kind` is left out). */
  addScaledObject(init: {
    name: string;
    namespace?: string;
    target: { kind?: string; name: string; apiVersion?: string };
    triggers?: JsonObject[];
  }): JsonObject {
    const ref: JsonObject = { name: init.target.name };
    if (init.target.kind !== undefined) ref.kind = init.target.kind;
    if (init.target.apiVersion !== undefined) ref.apiVersion = init.target.apiVersion;
    return this.store.create(RESOURCE_TYPES.scaledObjects, init.namespace ?? 'default', {
      metadata: { name: init.name },
      spec: {
        scaleTargetRef: ref,
        triggers: init.triggers ?? [{ type: 'cpu', metricType: 'Utilization', metadata: { value: '60' } }],
      },
    });
  }

  events(namespace = 'default'): JsonObject[] {
    return this.store.list(RESOURCE_TYPES.events, namespace);
  }

  lease(name: string, namespace = 'default'): JsonObject | undefined {
    const l = this.store.find(RESOURCE_TYPES.leases, namespace, name);
    return l && (JSON.parse(JSON.stringify(l)) as JsonObject);
  }

  /** Recorded requests whose method matches and whose path includes `pathIncludes`. */
  requestsTo(method: string, pathIncludes: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && r.path.includes(pathIncludes));
  }

  // ---- HTTP ----------------------------------------------------------------------------------

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      let badJson = false;
      if (text.length > 0) {
        try {
          body = JSON.parse(text);
        } catch {
          badJson = true;
          body = text;
        }
      }
      const record: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        contentType: req.headers['content-type'],
        authorization: req.headers.authorization,
        body,
        status: 0,
      };
      this.requests.push(record);
      const fault = this.faults.take(record.method, record.path);
      if (fault) record.fault = fault.kind;
      const compute = (): Answer => {
        if (fault?.kind === 'fail') {
          const status = kubeStatus(
            fault.status,
            fault.message ?? `injected fault: ${fault.status}`,
            fault.retryAfterS !== undefined ? { retryAfterSeconds: fault.retryAfterS } : undefined,
          );
          const headers: Record<string, string> =
            fault.retryAfterS !== undefined ? { 'Retry-After': String(fault.retryAfterS) } : {};
          return { code: fault.status, body: status, headers };
        }
        if (badJson)
          return {
            code: 400,
            body: kubeStatus(400, `the request body is not valid JSON: ${text.slice(0, 80)}`),
            headers: {},
          };
        return this.handle(record);
      };
      if (fault?.kind !== 'delay') {
        this.send(res, record, compute());
        return;
      }
      // Applied now (applyFirst) or when the delay ends; a client that gave up gets nothing.
      const early = fault.applyFirst ? compute() : undefined;
      if (early) record.status = early.code;
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (res.destroyed || req.socket.destroyed) return;
        this.send(res, record, early ?? compute());
      }, fault.delayMs);
      this.timers.add(timer);
      // A client that gives up (its timeout fired) frees the held request at once.
      res.once('close', () => {
        if (!res.writableEnded) {
          clearTimeout(timer);
          this.timers.delete(timer);
        }
      });
    });
  }

  private send(res: ServerResponse, record: RecordedRequest, answer: Answer): void {
    record.status = answer.code;
    if (res.destroyed) return;
    res.writeHead(answer.code, { 'Content-Type': 'application/json', ...answer.headers });
    res.end(JSON.stringify(answer.body));
  }

  private handle(record: RecordedRequest): Answer {
    try {
      const [code, body] = this.dispatch(record);
      return { code, body, headers: {} };
    } catch (err) {
      if (err instanceof KubeStatusError)
        return { code: err.status.code, body: err.status, headers: { ...err.headers } };
      const message = err instanceof Error ? err.message : String(err);
      return { code: 500, body: kubeStatus(500, `fake kube api server: ${message}`), headers: {} };
    }
  }

  private dispatch(r: RecordedRequest): [number, unknown] {
    const route = parseRoute(r.path);
    if (!route)
      throw new KubeStatusError(
        kubeStatus(404, `the server could not find the requested resource (${r.method} ${r.path})`),
      );
    const { type, namespace, name, subresource } = route;
    if (type === RESOURCE_TYPES.scaledObjects && !this.kedaInstalled) {
      throw new KubeStatusError(
        kubeStatus(
          404,
          `the server could not find the requested resource (${r.method} ${r.path}): the keda.sh CRDs are not installed`,
        ),
      );
    }
    const store = this.store;
    const ct = r.contentType ?? '';
    if (r.query.watch === 'true' || r.query.watch === '1') {
      throw KubeStatusError.badRequest(
        'watch is not supported by the fake Kubernetes API server; poll with list instead',
      );
    }
    if (name === undefined) {
      if (r.method === 'GET') {
        const items = store.list(type, namespace, r.query.labelSelector);
        return [
          200,
          {
            apiVersion: apiVersionOf(type),
            kind: `${type.kind}List`,
            metadata: { resourceVersion: store.currentResourceVersion() },
            items,
          },
        ];
      }
      if (r.method === 'POST' && namespace !== undefined) return [201, store.create(type, namespace, r.body)];
      throw this.methodNotAllowed(r);
    }
    const ns = namespace!;
    if (subresource === 'scale' && isWorkloadType(type)) {
      if (r.method === 'GET') return [200, this.workloads.getScale(type, ns, name)];
      if (r.method === 'PUT') return [200, this.workloads.writeScale(type, ns, name, r.body)];
      if (r.method === 'PATCH') return [200, this.workloads.writeScale(type, ns, name, r.body, ct)];
      throw this.methodNotAllowed(r);
    }
    if (subresource === 'status' && type === RESOURCE_TYPES.pods) {
      if (r.method === 'GET') return [200, store.get(type, ns, name)];
      if (r.method === 'PUT') return [200, this.workloads.writePodStatus(ns, name, r.body)];
      if (r.method === 'PATCH') return [200, this.workloads.writePodStatus(ns, name, r.body, ct)];
      throw this.methodNotAllowed(r);
    }
    if (subresource !== undefined)
      throw new KubeStatusError(
        kubeStatus(404, `the server could not find the requested resource (${r.method} ${r.path})`),
      );
    switch (r.method) {
      case 'GET':
        return [200, store.get(type, ns, name)];
      case 'PUT':
        return [200, store.replace(type, ns, name, r.body)];
      case 'PATCH':
        return [200, store.patch(type, ns, name, ct, r.body)];
      case 'DELETE': {
        const gone = store.delete(type, ns, name);
        if (type === RESOURCE_TYPES.pods) this.workloads.podDeleted(name, ns);
        return [
          200,
          {
            kind: 'Status',
            apiVersion: 'v1',
            metadata: {},
            status: 'Success',
            details: { name, group: type.group, kind: type.resource, uid: (gone.metadata as JsonObject).uid },
          },
        ];
      }
      default:
        throw this.methodNotAllowed(r);
    }
  }

  private methodNotAllowed(r: RecordedRequest): KubeStatusError {
    return new KubeStatusError(
      kubeStatus(405, `the server does not allow this method on the requested resource (${r.method} ${r.path})`),
    );
  }
}

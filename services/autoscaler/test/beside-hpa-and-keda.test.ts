import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '@warmpool/queue';
import { FakeKubeApiServer, RESOURCE_TYPES, type JsonObject } from '@warmpool/testing/kubernetes';
import { Service } from 'kubernetes-models/v1';
import { parseAllDocuments } from 'yaml';
import { parseConfigText } from '../src/config/load-config-file.js';
import { buildDaemon } from '../src/daemon/build-daemon.js';
import type { Daemon } from '../src/daemon/daemon.js';
import type { DaemonLogRecord } from '../src/daemon/daemon-record.js';
import { EXTERNAL_SCALER_PROTO, PROTO_LOADER_OPTIONS } from '../src/keda/keda-external-scaler-server.js';
import { FunctionHistory, T0 } from './support/daemon-harness.js';
import { configPath } from './support/config-path.js';

// integration over loopback HTTP and gRPC: generous limits for a loaded machine
vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

let fake: FakeKubeApiServer;
const live: Daemon[] = [];
beforeAll(async () => {
  fake = await FakeKubeApiServer.start();
});
afterAll(async () => {
  for (const d of live) await d.stop().catch(() => undefined);
  await fake.stop();
});

function model(name: string, extra = ''): string {
  return `  - name: ${name}
    capacityPerReplicaPerS: 10
    leadTime: { provisionS: 5, loadS: 3, warmupS: 2 }
    minWarmReplicas: 1
    maxReplicas: 20
    horizonS: 10
    stepS: 10
    target: { namespace: serving, name: ${name}, podSelector: app=${name} }
${extra}`;
}

interface Running {
  readonly daemon: Daemon;
  readonly clock: ManualClock;
  readonly records: DaemonLogRecord[];
}

function daemonFor(text: string): Running {
  const kc = new KubeConfig();
  kc.loadFromString(fake.kubeconfig());
  const out = new PassThrough();
  const records: DaemonLogRecord[] = [];
  out.on('data', (b: Buffer) => {
    for (const l of b.toString().split('\n')) if (l.trim()) records.push(JSON.parse(l) as DaemonLogRecord);
  });
  const clock = new ManualClock(T0);
  const daemon = buildDaemon({
    config: parseConfigText(text, configPath('warmpool.yaml')),
    env: { POD_NAME: 'daemon-h7' },
    stdout: out,
    stdoutSkipsHolds: false,
    clock,
    kubeConfig: kc,
    // 5/s in the backfill, 45/s from T0 + 20 s: every model wants to scale up
    createHistory: () => new FunctionHistory((_m, t) => (t >= T0 / 1000 + 20 ? 45 : 5)),
    kubernetesRetry: { baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 50, requestTimeoutMs: 2000 },
    queueOptions: { attempts: 3, backoffBaseMs: 50 },
  });
  live.push(daemon);
  return { daemon, clock, records };
}

async function ticks(r: Running, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await r.clock.advanceBy(i === 0 ? 0 : 1000);
    await r.daemon.idle();
  }
}

const scaleWrites = (name: string): number =>
  fake.requests.filter((q) => q.method === 'PUT' && q.path.endsWith(`/deployments/${name}/scale`)).length;
const header =
  'tickS: 1\nprovider: { kind: kubernetes, kubeconfigPath: /dev/null }\nhistory: { kind: csv, directory: /tmp, backfillS: 600 }\n';

describe('beside HPA and KEDA: the daemon on Kubernetes', () => {
  it('refuses to scale a model whose workload an HPA targets (error naming both, once), scales the other model, and scales again once the HPA is gone', async () => {
    fake.addDeployment({ namespace: 'serving', name: 'taken', replicas: 1 });
    fake.addDeployment({ namespace: 'serving', name: 'free', replicas: 1 });
    fake.setAllPodsReady('serving');
    fake.addHpa({ namespace: 'serving', name: 'taken-cpu', target: { kind: 'Deployment', name: 'taken' } });
    const r = daemonFor(`${header}models:\n${model('taken')}${model('free')}`);
    await r.daemon.start();
    await ticks(r, 36);
    const refused = r.records.filter((x) => x.kind === 'decision' && x.model === 'taken' && x.action === 'scale-up');
    expect(refused.length).toBeGreaterThan(0);
    for (const d of refused) expect(d).toMatchObject({ acted: 'error', error: { code: 'E_AUTOSCALER_CONFLICT' } });
    const conflicts = r.records.filter((x) => x.kind === 'error' && x.event === 'autoscaler-conflict');
    expect(conflicts).toHaveLength(1);
    expect(conflicts[0]).toMatchObject({ model: 'taken' });
    const message = (conflicts[0] as { error: { message: string } }).error.message;
    expect(message).toContain('Deployment serving/taken');
    expect(message).toContain('HorizontalPodAutoscaler serving/taken-cpu');
    expect(scaleWrites('taken')).toBe(0);
    // the other model went on
    expect(r.records.some((x) => x.kind === 'decision' && x.model === 'free' && x.acted === 'enqueued')).toBe(true);
    expect(scaleWrites('free')).toBeGreaterThan(0);

    fake.store.delete(
      { group: 'autoscaling', version: 'v2', resource: 'horizontalpodautoscalers', kind: 'HorizontalPodAutoscaler' },
      'serving',
      'taken-cpu',
    );
    await ticks(r, 3);
    expect(
      r.records.some((x) => x.kind === 'daemon' && x.model === 'taken' && x.event === 'autoscaler-conflict-cleared'),
    ).toBe(true);
    expect(r.records.some((x) => x.kind === 'decision' && x.model === 'taken' && x.acted === 'enqueued')).toBe(true);
    await r.daemon.stop();
  });

  it('mode: advise never scales and serves the forecast-ahead replica count to a real KEDA gRPC client asking as the shipped ScaledObject does', async () => {
    // infra/kubernetes/keda/scaledobject.yaml as shipped: its Service validates, its ScaledObject goes into the cluster
    const docs = parseAllDocuments(
      readFileSync(fileURLToPath(new URL('../../../infra/kubernetes/keda/scaledobject.yaml', import.meta.url)), 'utf8'),
    ).map((d) => d.toJS() as JsonObject);
    const service = docs.find((d) => d.kind === 'Service')!;
    new Service(service as never).validate();
    const so = docs.find((d) => d.kind === 'ScaledObject')!;
    const soMeta = so.metadata as { name: string; namespace: string };
    const soSpec = so.spec as {
      scaleTargetRef: { name: string };
      triggers: { type: string; metadata: Record<string, string> }[];
    };
    const trigger = soSpec.triggers[0]!;
    expect(['external', 'external-push']).toContain(trigger.type);
    const svcMeta = service.metadata as { name: string; namespace: string };
    const svcPort = (service.spec as { ports: { port: number }[] }).ports[0]!.port;
    expect(trigger.metadata.scalerAddress).toBe(`${svcMeta.name}.${svcMeta.namespace}.svc.cluster.local:${svcPort}`);
    const name = soSpec.scaleTargetRef.name;
    expect(trigger.metadata.model).toBe(name);
    fake.addDeployment({ namespace: soMeta.namespace, name, replicas: 1 });
    fake.setAllPodsReady(soMeta.namespace);
    fake.store.create(RESOURCE_TYPES.scaledObjects, soMeta.namespace, so);
    const r = daemonFor(
      `${header}kedaScaler: { host: 127.0.0.1, port: 0 }\nmodels:\n${model(name, '    mode: advise\n')}`,
    );
    await r.daemon.start();
    // a log line on stdout: the record's message is its msg
    const listening = r.records.find((x) => x.kind === 'daemon' && x.event === 'keda-scaler-listening') as unknown as
      | { msg: string }
      | undefined;
    expect(listening).toBeDefined();
    const url = /on (127\.0\.0\.1:\d+)/.exec(listening!.msg)![1]!;
    await ticks(r, 36);
    const decisions = r.records.filter((x) => x.kind === 'decision' && x.model === name);
    const last = decisions.at(-1) as { to: number; acted: string };
    expect(last.to).toBeGreaterThan(1);
    expect(
      decisions
        .filter((x) => x.kind === 'decision' && x.action !== 'hold')
        .every((x) => x.kind === 'decision' && x.acted === 'dry-run'),
    ).toBe(true);
    expect(scaleWrites(name)).toBe(0);
    expect(r.records.some((x) => x.kind === 'error')).toBe(false);

    const def = await protoLoader.load(EXTERNAL_SCALER_PROTO, PROTO_LOADER_OPTIONS);
    const pkg = grpc.loadPackageDefinition(def) as unknown as {
      externalscaler: { ExternalScaler: grpc.ServiceClientConstructor };
    };
    const client = new pkg.externalscaler.ExternalScaler(url, grpc.credentials.createInsecure()) as unknown as {
      GetMetrics(
        req: unknown,
        cb: (e: grpc.ServiceError | null, res: { metricValues: { metricValue: number }[] }) => void,
      ): void;
      IsActive(req: unknown, cb: (e: grpc.ServiceError | null, res: { result: boolean }) => void): void;
      close(): void;
    };
    // what KEDA sends: the ScaledObject's name, namespace and its trigger's metadata
    const ref = { name: soMeta.name, namespace: soMeta.namespace, scalerMetadata: trigger.metadata };
    const metrics = await new Promise<{ metricValues: { metricValue: number }[] }>((resolve, reject) =>
      client.GetMetrics({ scaledObjectRef: ref, metricName: `s0-warmpool-${name}-replicas` }, (e, res) =>
        e ? reject(e) : resolve(res),
      ),
    );
    expect(metrics.metricValues[0]!.metricValue).toBe(last.to);
    const active = await new Promise<{ result: boolean }>((resolve, reject) =>
      client.IsActive(ref, (e, res) => (e ? reject(e) : resolve(res))),
    );
    expect(active.result).toBe(true);
    client.close();
    await r.daemon.stop();
    expect(r.records.some((x) => x.kind === 'error' && x.event === 'shutdown-failed')).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { renderPromql } from '@warmpool/history';
import { parseConfigText } from '../src/config/load-config-file.js';
import { INFRA, grantedTo, manifests, type K8sObject } from './support/infra-manifests.js';

const OVERLAYS = readdirSync(resolve(INFRA, 'kubernetes/overlays')).sort();

/** The kubernetes-models class for a document (core and API groups; the Prometheus Operator's CRDs). */
async function modelClass(apiVersion: string, kind: string): Promise<new (o: unknown) => { validate(): void }> {
  const mod = apiVersion.startsWith('monitoring.coreos.com/')
    ? ((await import(`@kubernetes-models/prometheus-operator/${apiVersion}/${kind}`)) as Record<string, unknown>)
    : ((await import(`kubernetes-models/${apiVersion}/${kind}`)) as Record<string, unknown>);
  const cls = mod[kind];
  if (typeof cls !== 'function') throw new Error(`kubernetes-models has no ${apiVersion} ${kind}`);
  return cls as new (
    o: unknown,
  ) => { validate(): void };
}

type Probe = {
  httpGet: { path: string; port: string | number };
  periodSeconds?: number;
  timeoutSeconds?: number;
  failureThreshold?: number;
};
type Container = {
  name: string;
  image: string;
  args: string[];
  env?: { name: string }[];
  ports?: { name: string; containerPort: number }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  securityContext?: Record<string, unknown>;
  resources?: { limits?: Record<string, unknown> };
  volumeMounts?: { name: string; mountPath: string }[];
};
type PodSpec = {
  serviceAccountName: string;
  containers: Container[];
  securityContext?: Record<string, unknown>;
  readinessGates?: { conditionType: string }[];
  volumes?: {
    name: string;
    configMap?: { name: string };
    persistentVolumeClaim?: { claimName: string };
    emptyDir?: unknown;
  }[];
};
type Workload = K8sObject & {
  spec: {
    replicas?: number;
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
  };
};

function find(objs: readonly K8sObject[], kind: string, name: string, namespace?: string): K8sObject {
  const o = objs.find(
    (x) =>
      x.kind === kind && x.metadata.name === name && (namespace === undefined || x.metadata.namespace === namespace),
  );
  if (!o) throw new Error(`no ${kind} ${namespace ?? '*'}/${name}`);
  return o;
}

function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

function envFile(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(resolve(INFRA, 'images/images.env'), 'utf8').split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

describe.each(OVERLAYS)('infra/kubernetes/overlays/%s (kubectl kustomize)', (overlay) => {
  const docs = manifests(`kubernetes/overlays/${overlay}`);
  const cm = find(docs, 'ConfigMap', 'warmpool-config', 'warmpool') as K8sObject & { data: Record<string, string> };
  const config = parseConfigText(cm.data['warmpool.yaml']!, `${overlay} ConfigMap warmpool-config`);
  const daemon = find(docs, 'Deployment', 'warmpool-autoscaler', 'warmpool') as Workload;

  it('renders, and every document validates against the Kubernetes API schemas (kubernetes-models)', async () => {
    expect(docs.length).toBeGreaterThan(10);
    const problems: string[] = [];
    for (const d of docs) {
      const apiVersion = (d as { apiVersion?: string }).apiVersion ?? '';
      try {
        const Cls = await modelClass(apiVersion, d.kind);
        new Cls(d).validate();
      } catch (e) {
        problems.push(
          `${apiVersion} ${d.kind} ${d.metadata.namespace ?? ''}/${d.metadata.name}: ${(e as Error).message}`,
        );
      }
    }
    expect(problems).toEqual([]);
    // the schemas allow unknown keys: the probes, ports and security settings checked below are read by name
  });

  it('creates every namespace it puts objects in', () => {
    const created = new Set(docs.filter((d) => d.kind === 'Namespace').map((d) => d.metadata.name));
    const used = new Set(docs.map((d) => d.metadata.namespace).filter((n): n is string => n !== undefined));
    expect([...used].filter((n) => !created.has(n))).toEqual([]);
  });

  it('the ConfigMap is a valid warmpool.yaml whose history query reads the agent counter per model, and every target exists', () => {
    expect(config.provider).toMatchObject({ kind: 'kubernetes', inCluster: true });
    expect(config.leaderElection).toMatchObject({
      kind: 'kubernetes-lease',
      namespace: 'warmpool',
      name: 'warmpool-autoscaler',
    });
    const h = config.history.settings;
    if (h?.kind !== 'prometheus') throw new Error('history is not prometheus');
    expect(config.models.length).toBeGreaterThan(0);
    const queries = config.models.map((m) =>
      renderPromql(h.models[m.spec.name]?.query ?? h.query, m.spec.name, m.stepS),
    );
    config.models.forEach((m, i) => {
      const q = queries[i]!;
      expect(q).toContain('warmpool_inference_requests_total');
      expect(q).toContain(`model="${m.spec.name}"`);
      expect(q).toContain(`[${m.stepS}s]`);
      expect(q).not.toMatch(/\{\{|\$/);
      // the target: a workload of that name whose pods are model servers the selector matches, warm-gated
      if (m.target.kind !== 'kubernetes') throw new Error('not a kubernetes target');
      const t = m.target.kubernetes;
      const w = find(docs, t.kind, t.name, t.namespace) as Workload;
      const [k, v] = t.podSelector.split('=');
      expect(w.spec.template.metadata.labels[k!]).toBe(v);
      expect(selects(w.spec.selector.matchLabels, w.spec.template.metadata.labels)).toBe(true);
      expect(t.requireWarmLabel).toBe(true);
      expect(w.spec.template.spec.readinessGates).toEqual([{ conditionType: 'warmpool.io/warm' }]);
      const c = w.spec.template.spec.containers[0]!;
      expect(c.args).toEqual(expect.arrayContaining(['serve', '--name', m.spec.name, '--registrar', 'kubernetes']));
      // the warm-up spec the agent is told to read is mounted from a ConfigMap that holds it
      const spec = c.args[c.args.indexOf('--spec') + 1]!;
      const mount = c.volumeMounts!.find((vm) => spec.startsWith(`${vm.mountPath}/`))!;
      const volume = w.spec.template.spec.volumes!.find((vol) => vol.name === mount.name)!;
      const specCm = find(docs, 'ConfigMap', volume.configMap!.name, t.namespace) as K8sObject & {
        data: Record<string, string>;
      };
      expect(JSON.parse(specCm.data[spec.slice(mount.mountPath.length + 1)]!)).toHaveProperty('shapes');
    });
    expect(new Set(queries).size).toBe(queries.length);
    expect(config.http).toEqual({ host: '0.0.0.0', port: 9464 });
  });

  it('the daemon: http port with liveness and readiness, two replicas under a PodDisruptionBudget, a PodMonitor, non-root read-only', () => {
    const pod = daemon.spec.template.spec;
    expect(daemon.spec.replicas).toBe(2);
    expect(pod.serviceAccountName).toBe('warmpool-autoscaler');
    const c = pod.containers[0]!;
    expect(c.args).toEqual(['run', '--config', '/etc/warmpool/warmpool.yaml']);
    expect(c.env!.map((e) => e.name)).toContain('POD_NAME');
    expect(c.ports).toEqual([expect.objectContaining({ name: 'http', containerPort: config.http!.port })]);
    expect(c.livenessProbe!.httpGet).toEqual({ path: '/livez', port: 'http' });
    expect(c.readinessProbe!.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(c.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
    expect(c.volumeMounts!.map((m) => m.mountPath).sort()).toEqual(['/etc/warmpool', '/tmp']);
    const pdb = find(docs, 'PodDisruptionBudget', 'warmpool-autoscaler', 'warmpool') as K8sObject & {
      spec: { minAvailable: number; selector: { matchLabels: Record<string, string> } };
    };
    expect(pdb.spec.minAvailable).toBe(1);
    expect(selects(pdb.spec.selector.matchLabels, daemon.spec.template.metadata.labels)).toBe(true);
    const svc = find(docs, 'Service', 'warmpool-autoscaler', 'warmpool') as K8sObject & {
      spec: { selector: Record<string, string>; ports: { name: string; targetPort: string }[] };
    };
    expect(selects(svc.spec.selector, daemon.spec.template.metadata.labels)).toBe(true);
    expect(svc.spec.ports[0]).toMatchObject({ name: 'http', targetPort: 'http' });
    expect(docs.some((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding')).toBe(false);
  });

  it('PodMonitors scrape the daemons and every model server on their http port', () => {
    const monitors = docs.filter((d) => d.kind === 'PodMonitor') as (K8sObject & {
      spec: {
        selector: { matchLabels: Record<string, string> };
        podMetricsEndpoints: { port: string; path: string }[];
      };
    })[];
    const workloads = docs.filter((d) => d.kind === 'Deployment' || d.kind === 'StatefulSet') as Workload[];
    for (const w of workloads) {
      const m = monitors.find(
        (pm) =>
          pm.metadata.namespace === w.metadata.namespace &&
          selects(pm.spec.selector.matchLabels, w.spec.template.metadata.labels),
      );
      expect(m, `a PodMonitor for ${w.metadata.name}`).toBeDefined();
      expect(m!.spec.podMetricsEndpoints[0]).toMatchObject({ port: 'http', path: '/metrics' });
      expect(w.spec.template.spec.containers[0]!.ports!.map((p) => p.name)).toContain('http');
    }
  });

  it('model servers: non-root, read-only root, no capabilities, KServe v2 probes tolerant of one slow answer, a NetworkPolicy, pods/status only', () => {
    const servers = (docs.filter((d) => d.kind === 'Deployment' || d.kind === 'StatefulSet') as Workload[]).filter(
      (w) => w.spec.template.metadata.labels['app.kubernetes.io/component'] === 'model-server',
    );
    expect(servers.length).toBe(config.models.length);
    const policy = find(docs, 'NetworkPolicy', 'warmpool-model-servers', 'serving') as K8sObject & {
      spec: {
        podSelector: { matchLabels: Record<string, string> };
        policyTypes: string[];
        ingress: { from: unknown[]; ports: { port: string }[] }[];
      };
    };
    expect(policy.spec.policyTypes).toEqual(['Ingress']);
    expect(policy.spec.ingress.every((r) => r.from.length > 0 && r.ports.every((p) => p.port === 'http'))).toBe(true);
    for (const w of servers) {
      const pod = w.spec.template.spec;
      expect(selects(policy.spec.podSelector.matchLabels, w.spec.template.metadata.labels)).toBe(true);
      expect(pod.serviceAccountName).toBe('warmpool-agent');
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      const c = pod.containers[0]!;
      expect(c.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      });
      expect(c.env!.map((e) => e.name)).toEqual(expect.arrayContaining(['POD_NAME', 'POD_NAMESPACE']));
      expect(c.readinessProbe!.httpGet.path).toBe('/v2/health/ready');
      expect(c.livenessProbe!.httpGet.path).toBe('/v2/health/live');
      for (const p of [c.readinessProbe!, c.livenessProbe!, c.startupProbe!]) {
        expect(p.failureThreshold!).toBeGreaterThanOrEqual(3);
        expect(p.timeoutSeconds!).toBeGreaterThanOrEqual(2);
      }
      // every writable path is a volume
      expect(c.volumeMounts!.some((m) => m.mountPath === '/tmp')).toBe(true);
    }
    expect([...grantedTo(docs, 'warmpool-agent')]).toEqual(['serving||pods/status|patch']);
  });

  it('the daemon may scale (scale subresource), not patch workloads, and names the Leases it gets and updates', () => {
    const granted = [...grantedTo(docs, 'warmpool-autoscaler')];
    expect(granted).toContain('serving|apps|deployments/scale|update');
    expect(granted.filter((g) => /\|(deployments|statefulsets)\|/.test(g))).toEqual([]);
    for (const role of docs.filter(
      (d) => d.kind === 'Role' && d.metadata.name.startsWith('warmpool-autoscaler'),
    ) as (K8sObject & { rules: { resources: string[]; verbs: string[]; resourceNames?: string[] }[] })[]) {
      for (const r of role.rules.filter((x) => x.resources.includes('leases'))) {
        if (r.verbs.some((v) => v !== 'create'))
          expect(r.resourceNames, `${role.metadata.namespace}/${role.metadata.name}`).toBeDefined();
      }
    }
    const leader = find(docs, 'Role', 'warmpool-autoscaler-leader', 'warmpool') as K8sObject & {
      rules: { resourceNames?: string[] }[];
    };
    expect(leader.rules[0]!.resourceNames).toEqual([config.leaderElection.name]);
  });

  it('pins the images named in infra/images/images.env', () => {
    const env = envFile();
    const images = (docs.filter((d) => d.kind === 'Deployment') as Workload[]).map(
      (w) => w.spec.template.spec.containers[0]!.image,
    );
    const allowed = [
      `${env.WARMPOOL_IMAGE_DAEMON}:${env.WARMPOOL_VERSION}`,
      `${env.WARMPOOL_IMAGE_AGENT}:${env.WARMPOOL_VERSION}`,
      `${env.WARMPOOL_IMAGE_AGENT}:${env.WARMPOOL_VERSION}${env.WARMPOOL_AGENT_CUDA_SUFFIX}`,
    ];
    expect(images.filter((i) => !allowed.includes(i))).toEqual([]);
    expect(images).toContain(allowed[0]);
    const gpu = (docs.filter((d) => d.kind === 'Deployment') as Workload[]).filter(
      (w) => w.spec.template.spec.containers[0]!.resources?.limits?.['nvidia.com/gpu'] !== undefined,
    );
    for (const w of gpu) expect(w.spec.template.spec.containers[0]!.image).toBe(allowed[2]);
  });
});

describe('infra/README.md deploy guide', () => {
  it('every kustomization it tells the user to apply renders and holds the daemon', () => {
    const readme = readFileSync(resolve(INFRA, 'README.md'), 'utf8');
    const dirs = [...readme.matchAll(/kubectl apply -k (infra\/kubernetes\/[\w/-]+)/g)].map((m) => m[1]!);
    expect(new Set(dirs)).toEqual(new Set(OVERLAYS.map((o) => `infra/kubernetes/overlays/${o}`)));
    for (const d of new Set(dirs)) {
      const docs = manifests(join('..', d).replace(/^\.\.\/infra\//, ''));
      expect(docs.some((o) => o.kind === 'Deployment' && o.metadata.name === 'warmpool-autoscaler')).toBe(true);
    }
    // every other kubectl command in the guide names objects the overlays create
    for (const m of readme.matchAll(
      /kubectl -n (\w[\w-]*) (?:logs|port-forward|rollout \w+) (deploy|svc|deployment)\/([\w-]+)/g,
    )) {
      const kind = m[2] === 'svc' ? 'Service' : 'Deployment';
      const docs = manifests(`kubernetes/overlays/${OVERLAYS[0]}`);
      expect(
        docs.some((o) => o.kind === kind && o.metadata.name === m[3] && o.metadata.namespace === m[1]),
        m[0],
      ).toBe(true);
    }
  });
});

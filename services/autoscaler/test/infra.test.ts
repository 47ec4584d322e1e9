import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { AWS_ACTIONS_USED, AWS_PROVIDER_ACTIONS, AWS_REGISTRAR_ACTIONS } from '@warmpool/provider-aws';
import { parseConfigText } from '../src/config/load-config-file.js';
import { INFRA, grantedTo, manifests, type K8sObject } from './support/infra-manifests.js';

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

function actionsOf(statements: readonly Statement[]): string[] {
  return [...new Set(statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])))].sort();
}

function iam(file: string): Statement[] {
  const doc = JSON.parse(readFileSync(resolve(INFRA, 'aws', file), 'utf8')) as { Version: string; Statement: Statement[] };
  expect(doc.Version).toBe('2012-10-17');
  expect(doc.Statement.every((s) => s.Effect === 'Allow')).toBe(true);
  return doc.Statement;
}

const expected = (actions: readonly string[]): string[] => actions.map((a) => `autoscaling:${a}`).sort();

describe('infra/aws', () => {
  it('the IAM policies list exactly the Auto Scaling actions the code calls, split by principal', () => {
    const daemon = actionsOf(iam('iam-daemon-policy.json'));
    const agent = actionsOf(iam('iam-agent-policy.json'));
    expect(daemon).toEqual(expected(AWS_PROVIDER_ACTIONS));
    expect(agent).toEqual(expected(AWS_REGISTRAR_ACTIONS));
    expect([...new Set([...daemon, ...agent])].sort()).toEqual(expected(AWS_ACTIONS_USED));
    // Describe* cannot be scoped to a resource; every write is scoped to tagged groups
    for (const s of [...iam('iam-daemon-policy.json'), ...iam('iam-agent-policy.json')]) {
      const acts = Array.isArray(s.Action) ? s.Action : [s.Action];
      if (acts.every((a) => a.startsWith('autoscaling:Describe'))) expect(s.Resource).toBe('*');
      else expect(String(s.Resource)).toMatch(/^arn:aws:autoscaling:/);
    }
  });

  it('the CloudFormation snippet has the warm pool, the launching hook and the same actions per role', () => {
    const t = parse(readFileSync(resolve(INFRA, 'aws/model-group.cloudformation.yaml'), 'utf8')) as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
    const r = t.Resources;
    const hook = (r.ModelGroup!.Properties.LifecycleHookSpecificationList as Record<string, unknown>[])[0]!;
    expect(hook).toMatchObject({ LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING', DefaultResult: 'ABANDON', LifecycleHookName: 'warmpool-warmup' });
    expect(r.ModelWarmPool).toMatchObject({ Type: 'AWS::AutoScaling::WarmPool', Properties: { PoolState: 'Stopped', InstanceReusePolicy: { ReuseOnScaleIn: true } } });
    const statements = (name: string): Statement[] => (r[name]!.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
    expect(actionsOf(statements('DaemonPolicy'))).toEqual(expected(AWS_PROVIDER_ACTIONS));
    expect(actionsOf(statements('AgentPolicy'))).toEqual(expected(AWS_REGISTRAR_ACTIONS));
  });

  it('the CLI snippet puts the same warm pool and hook', () => {
    const sh = readFileSync(resolve(INFRA, 'aws/warm-pool-and-lifecycle-hook.sh'), 'utf8');
    expect(sh).toMatch(/aws autoscaling put-warm-pool .*\n.*--pool-state Stopped/);
    expect(sh).toMatch(/--lifecycle-transition autoscaling:EC2_INSTANCE_LAUNCHING/);
    expect(sh).toMatch(/--default-result ABANDON/);
  });
});

describe('infra/kubernetes', () => {
  const daemon = manifests('kubernetes/autoscaler.yaml');
  const server = manifests('kubernetes/model-server.yaml');
  const find = (objs: K8sObject[], kind: string, name: string): K8sObject => {
    const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
    if (!o) throw new Error(`no ${kind} ${name}`);
    return o;
  };
  type Container = { args: string[]; env: { name: string }[]; readinessProbe?: { httpGet: { path: string } }; startupProbe?: { httpGet: { path: string } }; volumeMounts: { mountPath: string }[] };
  const podSpec = (d: K8sObject): { serviceAccountName: string; containers: Container[] } => (d.spec as { template: { spec: { serviceAccountName: string; containers: Container[] } } }).template.spec;

  it('the ConfigMap carries a warmpool.yaml that validates and targets the sample model server', () => {
    const cm = find(daemon, 'ConfigMap', 'warmpool-config');
    const text = (cm.data as Record<string, string>)['warmpool.yaml']!;
    const config = parseConfigText(text, 'ConfigMap warmpool-config');
    expect(config.provider.kind).toBe('kubernetes');
    expect(config.leaderElection).toMatchObject({ kind: 'kubernetes-lease', namespace: 'warmpool' });
    const llama = config.models.find((m) => m.spec.name === 'llama-8b')!;
    expect(llama.target).toMatchObject({ kind: 'kubernetes', kubernetes: { namespace: 'serving', kind: 'Deployment', name: 'llama-8b', podSelector: 'app=llama-8b' } });
    const model = find(server, 'Deployment', 'llama-8b');
    expect(model.metadata.namespace).toBe('serving');
    expect((model.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels).toEqual({ app: 'llama-8b' });
  });

  it('the daemon Deployment runs `run --config` on the mounted ConfigMap with its ServiceAccount and POD_NAME', () => {
    const spec = podSpec(find(daemon, 'Deployment', 'warmpool-autoscaler'));
    expect(spec.serviceAccountName).toBe('warmpool-autoscaler');
    const c = spec.containers[0]!;
    expect(c.args).toEqual(['run', '--config', '/etc/warmpool/warmpool.yaml']);
    expect(c.env.map((e) => e.name)).toContain('POD_NAME');
    expect(c.volumeMounts.map((m) => m.mountPath)).toContain('/etc/warmpool');
    expect(daemon.some((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding')).toBe(false);
  });

  it('the model server runs `warmpool-agent serve` with readiness on /readyz, startup on /startupz, and may only patch pods/status (the warmpool.io/warm readiness gate)', () => {
    const spec = podSpec(find(server, 'Deployment', 'llama-8b'));
    const c = spec.containers[0]!;
    expect(c.args[0]).toBe('serve');
    expect(c.args).toContain('--model');
    expect(c.args.slice(c.args.indexOf('--registrar'), c.args.indexOf('--registrar') + 2)).toEqual(['--registrar', 'kubernetes']);
    expect(c.env.map((e) => e.name)).toEqual(expect.arrayContaining(['POD_NAME', 'POD_NAMESPACE']));
    expect(c.readinessProbe!.httpGet.path).toBe('/readyz');
    expect(c.startupProbe!.httpGet.path).toBe('/startupz');
    expect(spec.serviceAccountName).toBe('warmpool-agent');
    expect([...grantedTo(server, 'warmpool-agent')]).toEqual(['serving||pods/status|patch']);
    expect((spec as unknown as { readinessGates: { conditionType: string }[] }).readinessGates).toEqual([{ conditionType: 'warmpool.io/warm' }]);
    const warmup = JSON.parse((find(server, 'ConfigMap', 'llama-8b-warmup').data as Record<string, string>)['llama-8b.json']!) as { shapes: unknown[] };
    expect(warmup.shapes.length).toBeGreaterThan(0);
  });
});

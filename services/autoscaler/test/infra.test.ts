import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { AWS_ACTIONS_USED, AWS_PROVIDER_ACTIONS, AWS_REGISTRAR_ACTIONS } from '@warmpool/provider-aws';
import { INFRA } from './support/infra-manifests.js';

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

function actionsOf(statements: readonly Statement[]): string[] {
  return [...new Set(statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])))].sort();
}

function iam(file: string): Statement[] {
  const doc = JSON.parse(readFileSync(resolve(INFRA, 'aws', file), 'utf8')) as {
    Version: string;
    Statement: Statement[];
  };
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
    // the agent: lifecycle actions of its own group only (a named group, not every managed one)
    for (const s of iam('iam-agent-policy.json').filter((x) => x.Resource !== '*'))
      expect(String(s.Resource)).toMatch(/:autoScalingGroupName\/[^*]+$/);
  });

  it('the CloudFormation template: warm pool, the launching hook, the agent role + instance profile in the launch template, the daemon role, the same actions per role, scoped to the group and the managed tag', () => {
    type Resource = { Type: string; Properties: Record<string, unknown> };
    const t = parse(readFileSync(resolve(INFRA, 'aws/model-group.cloudformation.yaml'), 'utf8')) as {
      Resources: Record<string, Resource>;
      Parameters: Record<string, { Default?: string }>;
    };
    const r = t.Resources;
    const group = r.ModelGroup!;
    expect(group.Type).toBe('AWS::AutoScaling::AutoScalingGroup');
    const hook = (group.Properties.LifecycleHookSpecificationList as Record<string, unknown>[])[0]!;
    expect(hook).toMatchObject({
      LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
      DefaultResult: 'ABANDON',
      LifecycleHookName: 'warmpool-warmup',
    });
    expect(group.Properties.Tags).toContainEqual({
      Key: 'warmpool.io/managed',
      Value: 'true',
      PropagateAtLaunch: false,
    });
    expect(r.ModelWarmPool).toMatchObject({
      Type: 'AWS::AutoScaling::WarmPool',
      Properties: { PoolState: 'Stopped', InstanceReusePolicy: { ReuseOnScaleIn: true } },
    });
    // the policies are attached to roles (not left unattached); the agent's role reaches the instances through its profile
    const refs = (name: string): unknown[] => (r[name]!.Properties.Roles as unknown[]) ?? [];
    expect(refs('AgentPolicy')).toEqual([{ Ref: 'AgentRole' }]);
    expect(refs('DaemonPolicy')).toEqual([{ Ref: 'DaemonRole' }]);
    expect(r.AgentRole!.Type).toBe('AWS::IAM::Role');
    expect(r.DaemonRole!.Type).toBe('AWS::IAM::Role');
    expect(r.AgentInstanceProfile).toMatchObject({
      Type: 'AWS::IAM::InstanceProfile',
      Properties: { Roles: [{ Ref: 'AgentRole' }] },
    });
    const lt = r.LaunchTemplate!.Properties.LaunchTemplateData as Record<string, unknown>;
    expect(lt.IamInstanceProfile).toEqual({ Arn: { 'Fn::GetAtt': ['AgentInstanceProfile', 'Arn'] } });
    expect(lt.MetadataOptions).toMatchObject({ HttpTokens: 'required' });
    const userData = JSON.stringify(lt.UserData);
    expect(userData).toMatch(/--registrar aws --asg \$\{GroupName\} --lifecycle-hook warmpool-warmup/);
    expect(group.Properties.LaunchTemplate).toMatchObject({ LaunchTemplateId: { Ref: 'LaunchTemplate' } });
    const statements = (name: string): (Statement & { Condition?: unknown })[] =>
      (r[name]!.Properties.PolicyDocument as { Statement: (Statement & { Condition?: unknown })[] }).Statement;
    expect(actionsOf(statements('DaemonPolicy'))).toEqual(expected(AWS_PROVIDER_ACTIONS));
    expect(actionsOf(statements('AgentPolicy'))).toEqual(expected(AWS_REGISTRAR_ACTIONS));
    for (const s of [...statements('DaemonPolicy'), ...statements('AgentPolicy')]) {
      const acts = Array.isArray(s.Action) ? s.Action : [s.Action];
      if (acts.every((a) => a.startsWith('autoscaling:Describe'))) {
        expect(s.Resource).toBe('*');
        continue;
      }
      // writes: this stack's group only, and only while it carries the managed tag
      expect((s.Resource as { 'Fn::Sub': string })['Fn::Sub']).toMatch(
        /:autoScalingGroup:\*:autoScalingGroupName\/\$\{GroupName\}$/,
      );
      expect(s.Condition).toEqual({ StringEquals: { 'autoscaling:ResourceTag/warmpool.io/managed': 'true' } });
    }
  });

  it('the CLI snippet puts the same warm pool and hook', () => {
    const sh = readFileSync(resolve(INFRA, 'aws/warm-pool-and-lifecycle-hook.sh'), 'utf8');
    expect(sh).toMatch(/aws autoscaling put-warm-pool .*\n.*--pool-state Stopped/);
    expect(sh).toMatch(/--lifecycle-transition autoscaling:EC2_INSTANCE_LAUNCHING/);
    expect(sh).toMatch(/--default-result ABANDON/);
  });
});

import { leadTimeTotalS } from '@warmpool/domain';
import type { ModelConfig, WarmpoolConfig } from './warmpool-config.js';

function targetText(m: ModelConfig): string {
  const t = m.target;
  if (t.kind === 'kubernetes')
    return `${t.kubernetes.kind} ${t.kubernetes.namespace}/${t.kubernetes.name} (pods ${t.kubernetes.podSelector})`;
  if (t.kind === 'aws')
    return `ASG ${t.aws.groupName}${t.aws.warmPool ? `, warm pool min ${t.aws.warmPool.minSize} ${t.aws.warmPool.poolState}` : ''}${t.aws.lifecycleHook ? `, hook ${t.aws.lifecycleHook.name}` : ''}`;
  return `local ${t.local.modelFile}`;
}

/** What a config sets up, in a few lines a person can check. */
export function configSummary(c: WarmpoolConfig): string {
  const lines = [
    `provider ${c.provider.kind}${c.provider.kind === 'local' ? ` (load balancer ${c.provider.loadBalancerUrl}${c.provider.startLoadBalancer ? ', started by run' : ''}; replica logs in ${c.provider.runDir})` : ''}; history ${c.history.kind}${c.history.kind !== 'none' ? ` (backfill ${c.history.backfillS / 3600} h)` : ''}; queue ${c.queue.kind}${c.queue.redisUrl ? ` (${c.queue.redisUrl.replace(/\/\/[^@/]*@/, '//***@')})` : ''}; ` +
      `leader election ${c.leaderElection.kind}; tick ${c.tickS} s${c.dryRun ? '; DRY RUN' : ''}${c.gpuBudgetBytes !== undefined ? `; GPU budget ${(c.gpuBudgetBytes / 2 ** 30).toFixed(1)} GiB` : ''}`,
    `decision log: stdout${c.decisionLog.file ? ` + ${c.decisionLog.file}` : ''}${c.decisionLog.redisStreamKey ? ` + Redis stream ${c.decisionLog.redisStreamKey}` : ''}${c.http ? `; HTTP (dashboard /ui, /healthz, /metrics) on ${c.http.host}:${c.http.port}` : ''}`,
    `${c.models.length} model${c.models.length === 1 ? '' : 's'}:`,
    ...c.models.map(
      (m) =>
        `  ${m.spec.name}: p95 <= ${m.spec.latencyTargetP95Ms} ms, ${m.spec.capacityPerReplicaPerS}/s per replica, ${m.spec.minWarmReplicas}..${m.spec.maxReplicas} replicas, ` +
        `lead ${leadTimeTotalS(m.spec.leadTime)} s, step ${m.stepS} s -> ${targetText(m)}`,
    ),
  ];
  return lines.join('\n');
}

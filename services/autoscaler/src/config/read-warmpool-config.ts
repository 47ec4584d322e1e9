import { FieldReader, ValidationError } from '@warmpool/domain';
import { readKedaScalerConfig } from '../keda/keda-scaler-config.js';
import { asObject, type ConfigEnv } from './config-fields.js';
import { readHistory } from './read-history-config.js';
import { readModel } from './read-model-config.js';
import { readProvider } from './read-provider-config.js';
import { readDecisionLog, readHttp, readLeaderElection, readQueue, readStateDir } from './read-runtime-config.js';
import type { ModelConfig, WarmpoolConfig } from './warmpool-config.js';

export const TOP_LEVEL_KEYS = [
  'tickS',
  'dryRun',
  'gpuBudgetBytes',
  'models',
  'provider',
  'history',
  'queue',
  'decisionLog',
  'leaderElection',
  'http',
  'stateDir',
  'kedaScaler',
] as const;

/**
 * Validates a parsed `warmpool.yaml`: every problem at once (key path, value, what is allowed), defaults filled,
 * relative paths resolved against `baseDir`. Throws a ValidationError naming `source`.
 */
export function readWarmpoolConfig(
  input: unknown,
  source: string,
  baseDir: string,
  env: ConfigEnv = {},
): WarmpoolConfig {
  const r = new FieldReader(input ?? {}, '');
  r.rejectUnknown(TOP_LEVEL_KEYS);
  const tickS = r.number('tickS', { default: 5, min: 0.01, max: 3600 });
  const dryRun = r.boolean('dryRun', false);
  const gpuBudgetBytes = r.has('gpuBudgetBytes')
    ? r.number('gpuBudgetBytes', { min: 1, max: 1e15, integer: true })
    : undefined;
  const stateDir = readStateDir(r, baseDir, env);
  const provider = readProvider(r.child('provider'), baseDir, stateDir);
  const queue = readQueue(r.child('queue'), env);
  const decisionLog = readDecisionLog(r.child('decisionLog'), stateDir, queue);
  const leaderElection = readLeaderElection(r.child('leaderElection'), queue, provider);
  if (provider.kind === 'local' && asObject(r.raw('queue')).kind === 'redis') {
    // Local replicas are processes of the daemon that starts them: daemons sharing a queue cannot see each other's.
    r.issues.push({
      path: 'queue.kind',
      value: 'redis',
      allowed:
        'in-process with provider.kind local (replicas are processes of the daemon that starts them; daemons must not share a scale queue)',
    });
  }
  const models: ModelConfig[] = [];
  const rawModels = r.raw('models');
  if (!Array.isArray(rawModels) || rawModels.length === 0) {
    r.issues.push({
      path: 'models',
      value: rawModels,
      allowed: 'a non-empty list of models (name, capacityPerReplicaPerS, target, ...)',
    });
  } else {
    const seen = new Map<string, number>();
    rawModels.forEach((raw, i) => {
      const model = readModel(new FieldReader(raw, `models[${i}]`, r.issues), provider, tickS, baseDir);
      const first = seen.get(model.spec.name);
      if (first !== undefined && model.spec.name !== '') {
        r.issues.push({
          path: `models[${i}].name`,
          value: model.spec.name,
          allowed: `a name not used before (models[${first}] has it)`,
        });
      }
      seen.set(model.spec.name, i);
      models.push(model);
    });
  }
  const history = readHistory(r.child('history'), r.raw('history'), baseDir, env, models);
  const http = readHttp(r, r.raw('http'));
  const kedaScaler = readKedaScalerConfig(r);
  if (r.issues.length > 0) throw new ValidationError(r.issues, source);
  return {
    source,
    tickS,
    dryRun,
    gpuBudgetBytes,
    stateDir,
    models,
    provider,
    history,
    queue,
    decisionLog,
    leaderElection,
    ...(http ? { http } : {}),
    ...(kedaScaler ? { kedaScaler } : {}),
  };
}

import { FieldReader, MODEL_SPEC_KEYS, ValidationError, readModelSpec } from '@warmpool/domain';
import { parseAwsGroups, type AwsGroupConfig } from '@warmpool/provider-aws';
import { readKubernetesTarget } from '@warmpool/provider-kubernetes';
import { DAY_S, optionalString, pathIn, pickKeys, prefixOf } from './config-fields.js';
import type { ModelConfig, ModelTarget, ProviderConfig } from './warmpool-config.js';

export const MODEL_EXTRA_KEYS = ['target', 'stepS', 'warmupSpec', 'historyQuery'] as const;

function readTarget(m: FieldReader, provider: ProviderConfig, model: string, baseDir: string): ModelTarget {
  const t = m.child('target');
  if (provider.kind === 'kubernetes') return { kind: 'kubernetes', kubernetes: readKubernetesTarget(t) };
  if (provider.kind === 'aws') {
    let aws: AwsGroupConfig = { groupName: '', honorCooldown: false, warmPool: undefined, lifecycleHook: undefined };
    try {
      aws = parseAwsGroups({ [model || 'model']: m.raw('target') ?? {} })[model || 'model']!;
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      const prefix = `groups.${model || 'model'}`;
      for (const i of err.issues)
        m.issues.push({
          ...i,
          path: i.path.startsWith(prefix) ? `${prefixOf(t)}${i.path.slice(prefix.length)}` : `${t.path(i.path)}`,
        });
    }
    return { kind: 'aws', aws };
  }
  t.rejectUnknown(['modelFile', 'args', 'provisionDelayMs']);
  const rawArgs = t.raw('args');
  let args: string[] = [];
  if (rawArgs !== undefined) {
    if (Array.isArray(rawArgs) && rawArgs.every((a) => typeof a === 'string')) args = rawArgs as string[];
    else t.issues.push({ path: t.path('args'), value: rawArgs, allowed: 'a list of strings' });
  }
  const modelFile = t.string('modelFile', {
    patternText: 'the model file (.onnx) the local replicas load, or a bundled model name such as tiny-transformer',
  });
  // A path (has a slash or ends .onnx) is resolved against the config's folder; a bare name is a bundled model.
  const file = /[/\\]|\.onnx$/i.test(modelFile) ? pathIn(baseDir, modelFile)! : modelFile;
  return {
    kind: 'local',
    local: {
      modelFile: file,
      args,
      provisionDelayMs: t.number('provisionDelayMs', { default: 0, min: 0, max: 3_600_000, integer: true }),
    },
  };
}

export function readModel(m: FieldReader, provider: ProviderConfig, tickS: number, baseDir: string): ModelConfig {
  m.rejectUnknown([...MODEL_SPEC_KEYS, ...MODEL_EXTRA_KEYS]);
  // The spec's own keys go through the domain reader (same defaults and ranges as everywhere); ours are read here.
  const spec = readModelSpec(new FieldReader(pickKeys(m, MODEL_SPEC_KEYS), prefixOf(m), m.issues));
  const stepS = m.number('stepS', { default: Math.max(60, tickS), min: tickS, max: DAY_S, integer: true });
  return {
    spec,
    stepS,
    target: readTarget(m, provider, spec.name, baseDir),
    warmupSpec: pathIn(baseDir, optionalString(m, 'warmupSpec')),
    historyQuery: optionalString(m, 'historyQuery'),
  };
}

import type { FieldReader } from '@warmpool/domain';
import { HTTP_URL, optionalString, pathIn } from './config-fields.js';
import type { ProviderConfig, ProviderKind } from './warmpool-config.js';

export function readProvider(r: FieldReader, baseDir: string, stateDir: string): ProviderConfig {
  r.rejectUnknown([
    'kind',
    'inCluster',
    'kubeconfigPath',
    'requestTimeoutMs',
    'eventComponent',
    'region',
    'endpoint',
    'loadBalancerUrl',
    'startLoadBalancer',
    'runDir',
    'agentBinPath',
  ]);
  const kind = r.oneOf<ProviderKind>('kind', ['local', 'kubernetes', 'aws'], 'local');
  const onlyFor = (keys: readonly string[]): void => {
    for (const k of keys)
      if (r.has(k)) r.issues.push({ path: r.path(k), value: r.raw(k), allowed: `not set for provider.kind ${kind}` });
  };
  if (kind === 'kubernetes') {
    onlyFor(['region', 'endpoint', 'loadBalancerUrl', 'startLoadBalancer', 'runDir', 'agentBinPath']);
    const kubeconfigPath = optionalString(r, 'kubeconfigPath');
    return {
      kind,
      inCluster: r.boolean('inCluster', kubeconfigPath === undefined),
      kubeconfigPath: pathIn(baseDir, kubeconfigPath),
      requestTimeoutMs: r.number('requestTimeoutMs', { default: 10_000, min: 100, max: 600_000, integer: true }),
      eventComponent: r.string('eventComponent', { default: 'warmpool' }),
    };
  }
  if (kind === 'aws') {
    onlyFor([
      'inCluster',
      'kubeconfigPath',
      'eventComponent',
      'loadBalancerUrl',
      'startLoadBalancer',
      'runDir',
      'agentBinPath',
    ]);
    return {
      kind,
      region: r.string('region', {
        default: 'us-east-1',
        pattern: /^[a-z]{2}(-[a-z]+)+-\d+$/,
        patternText: 'an AWS region such as us-east-1',
      }),
      endpoint: optionalString(r, 'endpoint', { pattern: HTTP_URL, patternText: 'an http(s):// URL' }),
      requestTimeoutMs: r.number('requestTimeoutMs', { default: 10_000, min: 100, max: 600_000, integer: true }),
    };
  }
  onlyFor(['inCluster', 'kubeconfigPath', 'eventComponent', 'region', 'endpoint', 'requestTimeoutMs']);
  return {
    kind,
    loadBalancerUrl: r.string('loadBalancerUrl', {
      default: 'http://127.0.0.1:8080',
      pattern: HTTP_URL,
      patternText: 'an http(s):// URL',
    }),
    startLoadBalancer: r.boolean('startLoadBalancer', false),
    // An output path: relative ones go under the state directory, never next to the config (a checkout).
    runDir: pathIn(stateDir, r.string('runDir', { default: '.warmpool/run' }))!,
    agentBinPath: pathIn(baseDir, optionalString(r, 'agentBinPath')),
  };
}

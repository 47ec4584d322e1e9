import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { FieldReader, MODEL_SPEC_KEYS, ValidationError, readModelSpec } from '@warmpool/domain';
import { parseHistoryConfig, type HistoryConfig as HistorySettings } from '@warmpool/history';
import { parseAwsGroups, type AwsGroupConfig } from '@warmpool/provider-aws';
import { readKubernetesTarget } from '@warmpool/provider-kubernetes';
import { readKedaScalerConfig } from '../keda/keda-scaler-config.js';
import type {
  DecisionLogConfig,
  HistoryConfig,
  HttpConfig,
  HistoryKind,
  LeaderElectionConfig,
  LeaderElectionKind,
  ModelConfig,
  ModelTarget,
  ProviderConfig,
  ProviderKind,
  QueueConfig,
  WarmpoolConfig,
} from './warmpool-config.js';

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
export const MODEL_EXTRA_KEYS = ['target', 'stepS', 'warmupSpec', 'historyQuery'] as const;
const HTTP_URL = /^https?:\/\/[^\s/]+(\/[^\s]*)?$/;
const REDIS_URL = /^rediss?:\/\/[^\s]+$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DAY_S = 86_400;

/** Environment the config may consult (REDIS_URL selects the Redis queue); injected so tests do not read the process. */
export type ConfigEnv = Readonly<Record<string, string | undefined>>;

function optionalString(
  r: FieldReader,
  key: string,
  opts: { pattern?: RegExp; patternText?: string } = {},
): string | undefined {
  return r.has(key) ? r.string(key, opts) : undefined;
}

function pathIn(baseDir: string, p: string | undefined): string | undefined {
  if (p === undefined || p === '') return p;
  return isAbsolute(p) ? p : resolve(baseDir, p);
}

function readProvider(r: FieldReader, baseDir: string, stateDir: string): ProviderConfig {
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

/**
 * `history:` — `kind: none` here; the other kinds are validated by @warmpool/history's own schema (so the file
 * takes exactly what `createHistorySource` takes), plus `backfillS`. A model's `historyQuery` is merged in: the
 * PromQL of `kind: prometheus` (`models.<name>.query`) or the trace file of `kind: csv` (`files.<name>`).
 */
function readHistory(
  r: FieldReader,
  raw: unknown,
  baseDir: string,
  env: ConfigEnv,
  models: readonly ModelConfig[],
): HistoryConfig {
  const backfillS = r.number('backfillS', { default: 14 * DAY_S, min: 0, max: 90 * DAY_S, integer: true });
  const kind = r.oneOf<HistoryKind>('kind', ['prometheus', 'redis', 'csv', 'none'], 'none');
  const overrides = models
    .map((m, i) => ({ i, name: m.spec.name, query: m.historyQuery }))
    .filter((o) => o.query !== undefined && o.name !== '');
  if (kind === 'none') {
    r.rejectUnknown(['kind', 'backfillS']);
    for (const o of overrides)
      r.issues.push({
        path: `models[${o.i}].historyQuery`,
        value: o.query,
        allowed: 'not set while history.kind is none',
      });
    return { kind, settings: undefined, backfillS };
  }
  const input: Record<string, unknown> = { ...asObject(raw) };
  delete input.backfillS;
  if (kind === 'redis' && input.url === undefined && env.REDIS_URL) input.url = env.REDIS_URL;
  const injected = new Map<string, number>();
  if (kind === 'prometheus' || kind === 'csv') {
    const key = kind === 'prometheus' ? 'models' : 'files';
    const merged: Record<string, unknown> = { ...asObject(input[key]) };
    for (const o of overrides) {
      merged[o.name] = kind === 'prometheus' ? { ...asObject(merged[o.name]), query: o.query } : o.query;
      injected.set(o.name, o.i);
    }
    if (overrides.length > 0) input[key] = merged;
  } else {
    for (const o of overrides)
      r.issues.push({
        path: `models[${o.i}].historyQuery`,
        value: o.query,
        allowed: 'only with history.kind prometheus (PromQL) or csv (a trace file)',
      });
  }
  try {
    const settings = parseHistoryConfig(input, { path: 'history' });
    if (settings.kind === 'prometheus') checkPromqlPlaceholders(r, settings, models, injected);
    return { kind, settings: settings.kind === 'csv' ? absoluteCsv(settings, baseDir) : settings, backfillS };
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    for (const issue of err.issues) {
      const m = /^history\.(?:models|files)\.([^.]+)(\.query)?$/.exec(issue.path);
      const i = m ? injected.get(m[1]!) : undefined;
      r.issues.push(i !== undefined ? { ...issue, path: `models[${i}].historyQuery` } : issue);
    }
    return { kind, settings: undefined, backfillS };
  }
}

/** `$model`, `${model}`: Grafana-style variables the daemon never fills (it fills `{{model}}`, `{{step}}`, `{{stepS}}`). */
const DOLLAR_PLACEHOLDER = /\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g;

/**
 * PromQL the daemon would run but that cannot read each model's own demand: a `$name` placeholder (left in the
 * query as it is, so the series is empty), or a shared query without `{{model}}` used by several models (every
 * model would read the same series).
 */
function checkPromqlPlaceholders(
  r: FieldReader,
  settings: Extract<HistorySettings, { kind: 'prometheus' }>,
  models: readonly ModelConfig[],
  injected: ReadonlyMap<string, number>,
): void {
  const dollar = (path: string, text: string | undefined): void => {
    if (text === undefined) return;
    const names = [...new Set([...text.matchAll(DOLLAR_PLACEHOLDER)].map((m) => m[1]!))];
    if (names.length > 0) {
      r.issues.push({
        path,
        value: text,
        allowed: `PromQL whose placeholders are {{model}} (the model's name), {{step}} (the step as a duration, 60s) or {{stepS}}; the daemon fills only these, so ${names.map((n) => `$${n}`).join(', ')} would reach Prometheus as written`,
      });
    }
  };
  dollar('history.query', settings.query);
  dollar('history.peakQuery', settings.peakQuery);
  for (const [name, q] of Object.entries(settings.models)) {
    const i = injected.get(name);
    dollar(i !== undefined ? `models[${i}].historyQuery` : `history.models.${name}.query`, q.query);
    dollar(i !== undefined ? `models[${i}].historyQuery` : `history.models.${name}.peakQuery`, q.peakQuery);
  }
  const sharing = models.map((m) => m.spec.name).filter((n) => n !== '' && settings.models[n] === undefined);
  if (sharing.length < 2) return;
  for (const key of ['query', 'peakQuery'] as const) {
    const text = settings[key];
    if (text !== undefined && !/\{\{\s*model\s*\}\}/.test(text)) {
      r.issues.push({
        path: `history.${key}`,
        value: text,
        allowed: `PromQL with {{model}} (the daemon fills it with each model's name): models ${sharing.join(', ')} share this query, and without {{model}} every one of them would read the same series (or give each its own historyQuery)`,
      });
    }
  }
}

/**
 * Where relative output paths (provider.runDir, decisionLog.file) go: `stateDir` (`~/` is the home folder; relative:
 * against the config's folder), else WARMPOOL_STATE_DIR, else the config's folder. The shipped examples set
 * `stateDir: ~/.local/state/warmpool/...`, so running one from a checkout writes nothing into the repository.
 */
function readStateDir(r: FieldReader, baseDir: string, env: ConfigEnv): string {
  if (r.has('stateDir')) {
    const dir = r.string('stateDir', {
      pattern: /^(?!~[^/]).+$/,
      patternText:
        "a folder for the daemon's output (replica run folders, decision log): absolute, ~/..., or relative to this file",
    });
    if (dir === '~' || dir.startsWith('~/'))
      return join(env.HOME !== undefined && env.HOME !== '' ? env.HOME : homedir(), dir.slice(1));
    return pathIn(baseDir, dir)!;
  }
  const fromEnv = env.WARMPOOL_STATE_DIR;
  return fromEnv !== undefined && fromEnv !== '' ? resolve(fromEnv) : baseDir;
}

function asObject(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function absoluteCsv(c: Extract<HistorySettings, { kind: 'csv' }>, baseDir: string): HistorySettings {
  const at = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
  return {
    ...c,
    directory: c.directory === undefined ? undefined : at(c.directory),
    files: Object.fromEntries(Object.entries(c.files).map(([m, f]) => [m, at(f)])),
  };
}

function readQueue(r: FieldReader, env: ConfigEnv): QueueConfig {
  r.rejectUnknown(['kind', 'url', 'name']);
  const envUrl = env.REDIS_URL !== undefined && env.REDIS_URL !== '' ? env.REDIS_URL : undefined;
  const kind = r.oneOf<QueueConfig['kind']>('kind', ['in-process', 'redis'], envUrl ? 'redis' : 'in-process');
  let redisUrl: string | undefined;
  if (kind === 'redis') {
    redisUrl = r.has('url')
      ? r.string('url', { pattern: REDIS_URL, patternText: 'a redis:// or rediss:// URL' })
      : (envUrl ?? 'redis://127.0.0.1:6379');
    if (!REDIS_URL.test(redisUrl))
      r.issues.push({ path: 'REDIS_URL (environment)', value: redisUrl, allowed: 'a redis:// or rediss:// URL' });
  } else if (r.has('url'))
    r.issues.push({ path: r.path('url'), value: r.raw('url'), allowed: 'not set for queue.kind in-process' });
  return {
    kind,
    redisUrl,
    name: r.string('name', {
      default: 'scale-jobs',
      pattern: /^[A-Za-z0-9_-]{1,64}$/,
      patternText: '1-64 characters: A-Z, a-z, 0-9, "_", "-"',
    }),
  };
}

function readDecisionLog(r: FieldReader, stateDir: string, queue: QueueConfig): DecisionLogConfig {
  r.rejectUnknown(['file', 'redisStream', 'redisUrl', 'format']);
  // An output path: relative to the state directory.
  const file = pathIn(stateDir, optionalString(r, 'file'));
  let redisStreamKey: string | undefined;
  const rs = r.raw('redisStream');
  if (rs === true) redisStreamKey = 'warmpool:decisions';
  else if (rs !== undefined && rs !== false)
    redisStreamKey = r.string('redisStream', {
      pattern: /^[^\s]{1,200}$/,
      patternText: 'true, false, or a stream key such as warmpool:decisions',
    });
  const redisUrl = r.has('redisUrl')
    ? r.string('redisUrl', { pattern: REDIS_URL, patternText: 'a redis:// or rediss:// URL' })
    : redisStreamKey
      ? (queue.redisUrl ?? 'redis://127.0.0.1:6379')
      : undefined;
  return { file, redisStreamKey, redisUrl, format: r.oneOf('format', ['auto', 'json', 'text'], 'auto') };
}

function readLeaderElection(r: FieldReader, queue: QueueConfig, provider: ProviderConfig): LeaderElectionConfig {
  r.rejectUnknown(['kind', 'namespace', 'name', 'identity', 'leaseDurationS', 'url']);
  const kind = r.oneOf<LeaderElectionKind>('kind', ['none', 'kubernetes-lease', 'redis-lock'], 'none');
  if (kind === 'kubernetes-lease' && provider.kind !== 'kubernetes') {
    r.issues.push({
      path: r.path('kind'),
      value: kind,
      allowed: 'kubernetes-lease only with provider.kind kubernetes (use redis-lock or none)',
    });
  }
  const redisUrl =
    kind === 'redis-lock'
      ? r.has('url')
        ? r.string('url', { pattern: REDIS_URL, patternText: 'a redis:// or rediss:// URL' })
        : (queue.redisUrl ?? 'redis://127.0.0.1:6379')
      : undefined;
  return {
    kind,
    namespace: r.string('namespace', {
      default: 'default',
      pattern: DNS_LABEL,
      patternText: 'a namespace name (DNS label)',
    }),
    name: r.string('name', {
      default: kind === 'redis-lock' ? 'warmpool:leader' : 'warmpool-autoscaler',
      pattern: /^[^\s]{1,253}$/,
      patternText: 'a Lease name or Redis key without spaces',
    }),
    identity: optionalString(r, 'identity'),
    leaseDurationS: r.number('leaseDurationS', { default: 15, min: 2, max: 3600 }),
    redisUrl,
  };
}

const HOST = /^(localhost|\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]*:[0-9a-fA-F:.]*|[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?)$/;

/** `http:` — absent or `false`: no server; `true`: 127.0.0.1:9464; a mapping: `{ host, port }`. */
function readHttp(r: FieldReader, raw: unknown): HttpConfig | undefined {
  if (raw === undefined || raw === false || raw === null) return undefined;
  if (raw === true) return { host: '127.0.0.1', port: 9464 };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    r.issues.push({ path: 'http', value: raw, allowed: 'true, false, or a mapping { host, port }' });
    return undefined;
  }
  const h = r.child('http');
  h.rejectUnknown(['host', 'port']);
  return {
    host: h.string('host', {
      default: '127.0.0.1',
      pattern: HOST,
      patternText: 'an IP address or host name to bind, such as 127.0.0.1 (loopback) or 0.0.0.0 (all interfaces)',
    }),
    port: h.number('port', { default: 9464, min: 0, max: 65535, integer: true }),
  };
}

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

function readModel(m: FieldReader, provider: ProviderConfig, tickS: number, baseDir: string): ModelConfig {
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

/** The key path a reader reports under (`models[2]`). */
function prefixOf(r: FieldReader): string {
  return r.path('_').slice(0, -2);
}

function pickKeys(r: FieldReader, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (r.has(k)) out[k] = r.raw(k);
  return out;
}

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

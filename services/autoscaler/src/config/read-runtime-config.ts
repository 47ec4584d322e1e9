import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FieldReader } from '@warmpool/domain';
import { type ConfigEnv, optionalString, pathIn, REDIS_URL } from './config-fields.js';
import type {
  DecisionLogConfig,
  HttpConfig,
  LeaderElectionConfig,
  LeaderElectionKind,
  ProviderConfig,
  QueueConfig,
} from './warmpool-config.js';

// Where the daemon keeps its output and how it coordinates: the state folder, the scale queue, the decision log,
// leader election and the HTTP server.

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * Where relative output paths (provider.runDir, decisionLog.file) go: `stateDir` (`~/` is the home folder; relative:
 * against the config's folder), else WARMPOOL_STATE_DIR, else the config's folder. The shipped examples set
 * `stateDir: ~/.local/state/warmpool/...`, so running one from a checkout writes nothing into the repository.
 */
export function readStateDir(r: FieldReader, baseDir: string, env: ConfigEnv): string {
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

export function readQueue(r: FieldReader, env: ConfigEnv): QueueConfig {
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

export function readDecisionLog(r: FieldReader, stateDir: string, queue: QueueConfig): DecisionLogConfig {
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

export function readLeaderElection(r: FieldReader, queue: QueueConfig, provider: ProviderConfig): LeaderElectionConfig {
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
export function readHttp(r: FieldReader, raw: unknown): HttpConfig | undefined {
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

import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { DEFAULT_AGENT_BIN } from '../daemon/local-provider-factory.js';
import type { WarmpoolConfig } from './warmpool-config.js';

/** One thing `run` needs from this machine before it acts (a token, a file, a folder it writes, a server it reaches). */
export interface EnvironmentCheck {
  /** The config key (or environment variable) the check is about. */
  readonly key: string;
  /** `ok`, `failed`, or `unchecked` (cannot be known before run: e.g. AWS credentials from an instance role). */
  readonly status: 'ok' | 'failed' | 'unchecked';
  /** What was found (or what is missing). */
  readonly detail: string;
  /** What run needs there. */
  readonly needs: string;
}

/** What the checks consult; injected so tests do not depend on this machine. */
export interface EnvironmentProbe {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** TCP connect to host:port within timeoutMs; resolves to an error text, or undefined when it connected. */
  readonly connect?: (host: string, port: number, timeoutMs: number) => Promise<string | undefined>;
  /** Default 2000 ms per server. */
  readonly connectTimeoutMs?: number;
}

/** Bundled model names the agent generates on first use (`warmpool-agent serve --model NAME`). */
const BUNDLED_MODEL = /^[a-z0-9][a-z0-9_.-]{0,62}$/;
const IN_CLUSTER_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

function tcpConnect(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (why: string | undefined): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(why);
    };
    const timer = setTimeout(() => done(`no answer within ${timeoutMs} ms`), timeoutMs);
    socket.once('connect', () => done(undefined));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
  });
}

function fileCheck(key: string, path: string, what: string): EnvironmentCheck {
  const needs = `a readable file: ${what}`;
  try {
    const st = statSync(path);
    if (!st.isFile()) return { key, status: 'failed', detail: `${path} is not a file`, needs };
    accessSync(path, constants.R_OK);
    return { key, status: 'ok', detail: `${path} (${what})`, needs };
  } catch (err) {
    return { key, status: 'failed', detail: `${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, needs };
  }
}

/** A folder `run` creates or writes: it exists and is writable, or its nearest existing parent is. */
function writableCheck(key: string, path: string, what: string): EnvironmentCheck {
  const needs = `a writable folder, or one that can be created: ${what}`;
  let p = path;
  for (let i = 0; i < 64 && !existsSync(p); i++) {
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  try {
    if (!statSync(p).isDirectory()) return { key, status: 'failed', detail: `${path}: ${p} is not a folder`, needs };
    accessSync(p, constants.W_OK);
    return {
      key,
      status: 'ok',
      detail: p === path ? `${path} writable (${what})` : `${path} can be created under ${p} (${what})`,
      needs,
    };
  } catch (err) {
    return {
      key,
      status: 'failed',
      detail: `${path}: ${p} is not writable (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      needs,
    };
  }
}

function jsonFileCheck(key: string, path: string, what: string): EnvironmentCheck {
  const c = fileCheck(key, path, what);
  if (c.status !== 'ok') return c;
  try {
    JSON.parse(readFileSync(path, 'utf8'));
    return c;
  } catch (err) {
    return {
      key,
      status: 'failed',
      detail: `${path} is not JSON: ${(err as Error).message}`,
      needs: `a JSON file: ${what}`,
    };
  }
}

function hostPort(url: string, defaultPort: number): { host: string; port: number } | undefined {
  try {
    const u = new URL(url);
    const port =
      u.port !== ''
        ? Number(u.port)
        : u.protocol === 'https:' || u.protocol === 'rediss:'
          ? defaultPort === 80
            ? 443
            : defaultPort
          : defaultPort;
    return { host: u.hostname.replace(/^\[|\]$/g, ''), port };
  } catch {
    return undefined;
  }
}

/**
 * Every check `run` would make of this machine before acting, which a parse of the file cannot make: the token and
 * files the provider needs, the model files, the folders it writes, and the servers it connects to (TCP, bounded
 * by a timeout each). Read-only: nothing is created or changed.
 */
export async function checkEnvironment(config: WarmpoolConfig, probe: EnvironmentProbe): Promise<EnvironmentCheck[]> {
  const env = probe.env;
  const checks: EnvironmentCheck[] = [];
  const servers: { key: string; url: string; defaultPort: number; what: string }[] = [];
  const p = config.provider;
  if (p.kind === 'local') {
    if (p.startLoadBalancer) {
      checks.push({
        key: 'WARMPOOL_LB_TOKEN',
        status: 'ok',
        detail: env.WARMPOOL_LB_TOKEN
          ? 'set: the replicas register with it'
          : 'not set: run generates a token and prints it (provider.startLoadBalancer)',
        needs: 'optional',
      });
    } else {
      checks.push({
        key: 'WARMPOOL_LB_TOKEN',
        status: env.WARMPOOL_LB_TOKEN ? 'ok' : 'failed',
        detail: env.WARMPOOL_LB_TOKEN
          ? 'set: the registration token of the load balancer at provider.loadBalancerUrl'
          : 'not set',
        needs: `the registration token of the load balancer at ${p.loadBalancerUrl} in the environment (or provider.startLoadBalancer: true, which starts one with a generated token)`,
      });
      servers.push({
        key: 'provider.loadBalancerUrl',
        url: p.loadBalancerUrl,
        defaultPort: 80,
        what: 'the local load balancer',
      });
    }
    const bin = p.agentBinPath ?? DEFAULT_AGENT_BIN;
    checks.push(
      fileCheck(
        p.agentBinPath ? 'provider.agentBinPath' : 'provider.agentBinPath (default)',
        bin,
        'the warm-up agent each replica runs',
      ),
    );
    checks.push(writableCheck('provider.runDir', p.runDir, 'per-replica logs'));
    config.models.forEach((m, i) => {
      if (m.target.kind !== 'local') return;
      const f = m.target.local.modelFile;
      if (f.includes('/') || f.includes('\\'))
        checks.push(fileCheck(`models[${i}].target.modelFile`, f, `the ${m.spec.name} replicas' model`));
      else {
        const needs = 'an .onnx file, or a bundled model name (tiny-transformer, small-transformer)';
        if (BUNDLED_MODEL.test(f))
          checks.push({
            key: `models[${i}].target.modelFile`,
            status: 'ok',
            detail: `${f}: a bundled model name (the agent generates it on first start; an unknown name fails there)`,
            needs,
          });
        else
          checks.push({
            key: `models[${i}].target.modelFile`,
            status: 'failed',
            detail: `${f}: neither a path nor a bundled model name`,
            needs,
          });
      }
    });
  } else if (p.kind === 'kubernetes') {
    if (p.inCluster) {
      const host = env.KUBERNETES_SERVICE_HOST;
      const token = existsSync(IN_CLUSTER_TOKEN);
      checks.push({
        key: 'provider.inCluster',
        status: host && token ? 'ok' : 'failed',
        detail: !host
          ? 'not in a pod (no KUBERNETES_SERVICE_HOST)'
          : token
            ? `in a pod (API ${host}, ServiceAccount token mounted)`
            : `KUBERNETES_SERVICE_HOST is set but ${IN_CLUSTER_TOKEN} is missing (automountServiceAccountToken: false?)`,
        needs:
          'a pod with its ServiceAccount token mounted (off the cluster: kubeconfigPath, or validate with --static)',
      });
    } else {
      const file = p.kubeconfigPath ?? env.KUBECONFIG?.split(':')[0] ?? join(env.HOME ?? homedir(), '.kube', 'config');
      checks.push(
        fileCheck(
          p.kubeconfigPath ? 'provider.kubeconfigPath' : 'KUBECONFIG (default ~/.kube/config)',
          file,
          'the cluster and credentials the provider uses',
        ),
      );
    }
  } else {
    const keys = [
      'AWS_ACCESS_KEY_ID',
      'AWS_PROFILE',
      'AWS_WEB_IDENTITY_TOKEN_FILE',
      'AWS_CONTAINER_CREDENTIALS_FULL_URI',
      'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
    ].filter((k) => env[k]);
    checks.push(
      keys.length > 0
        ? {
            key: 'AWS credentials',
            status: 'ok',
            detail: `from ${keys.join(', ')} (the SDK's default chain)`,
            needs: 'credentials the SDK finds',
          }
        : {
            key: 'AWS credentials',
            status: 'unchecked',
            detail:
              'none in the environment: the SDK falls back to the shared files and the instance role (IMDS), which only run can try',
            needs: 'credentials the SDK finds',
          },
    );
    if (p.endpoint)
      servers.push({ key: 'provider.endpoint', url: p.endpoint, defaultPort: 80, what: 'the Auto Scaling API' });
  }
  config.models.forEach((m, i) => {
    if (m.warmupSpec !== undefined && p.kind === 'local')
      checks.push(jsonFileCheck(`models[${i}].warmupSpec`, m.warmupSpec, 'the warm-up spec the replicas run'));
  });
  if (config.decisionLog.file)
    checks.push(
      writableCheck(
        'decisionLog.file',
        dirname(config.decisionLog.file),
        `the decision log ${config.decisionLog.file}`,
      ),
    );
  const h = config.history.settings;
  if (h?.kind === 'csv') {
    const dir = h.directory;
    if (dir !== undefined) {
      const isDir = existsSync(dir) && statSync(dir).isDirectory();
      checks.push({
        key: 'history.directory',
        status: isDir ? 'ok' : 'failed',
        detail: isDir ? `${dir} (trace files)` : `${dir} is not a folder`,
        needs: 'a folder of trace files (<model>.csv)',
      });
    }
    for (const [model, f] of Object.entries(h.files))
      checks.push(fileCheck(`history.files.${model}`, f, `${model}'s history trace`));
  } else if (h?.kind === 'prometheus')
    servers.push({ key: 'history.url', url: h.url, defaultPort: 80, what: 'Prometheus' });
  else if (h?.kind === 'redis')
    servers.push({ key: 'history.url', url: h.url, defaultPort: 6379, what: 'the Redis demand counters' });
  if (config.queue.redisUrl)
    servers.push({ key: 'queue.url', url: config.queue.redisUrl, defaultPort: 6379, what: 'the scale-job queue' });
  if (config.decisionLog.redisUrl)
    servers.push({
      key: 'decisionLog.redisUrl',
      url: config.decisionLog.redisUrl,
      defaultPort: 6379,
      what: 'the decision stream',
    });
  if (config.leaderElection.redisUrl)
    servers.push({
      key: 'leaderElection.url',
      url: config.leaderElection.redisUrl,
      defaultPort: 6379,
      what: 'the leader lock',
    });

  const tcp = probe.connect ?? tcpConnect;
  const timeoutMs = probe.connectTimeoutMs ?? 2000;
  const seen = new Map<string, Promise<string | undefined>>();
  const results = await Promise.all(
    servers.map(async (s) => {
      const hp = hostPort(s.url, s.defaultPort);
      const needs = `${s.what} answering at ${s.url}`;
      if (!hp) return { key: s.key, status: 'failed' as const, detail: `${s.url} is not a URL`, needs };
      const id = `${hp.host}:${hp.port}`;
      if (!seen.has(id)) seen.set(id, tcp(hp.host, hp.port, timeoutMs));
      const why = await seen.get(id)!;
      return why === undefined
        ? { key: s.key, status: 'ok' as const, detail: `${id} answers (${s.what})`, needs }
        : { key: s.key, status: 'failed' as const, detail: `${id} cannot be reached: ${why}`, needs };
    }),
  );
  return [...checks, ...results];
}

import { existsSync, statSync } from 'node:fs';
import { MODEL_NAME_PATTERN, ValidationError, type ValidationIssue } from '@warmpool/domain';

/** How to start the replicas of one model: `warmpool-agent serve` with these settings. */
export interface LocalReplicaTemplate {
  /** Model name: the pool key, `--name` of the agent, and the load balancer's model. */
  readonly model: string;
  /** `--model` of the agent: an ONNX file, or a bundled test model name (tiny-transformer). Default: `model`. */
  readonly modelSource?: string;
  /** Extra agent arguments (e.g. `--providers cpu --spec spec.json --max-concurrency 1`). */
  readonly agentArgs?: readonly string[];
  /** Load balancer the replicas register with once warm. Absent: replicas only serve. */
  readonly lbUrl?: string;
  /** Shared registration token, passed as WARMPOOL_LB_TOKEN (never on the command line). */
  readonly lbToken?: string;
  /** Ports the replicas listen on, inclusive. Absent: the OS picks a free port. */
  readonly portRange?: { readonly first: number; readonly last: number };
  /** Wait before the process starts, standing in for GPU node start. Default 0. */
  readonly provisionDelayMs?: number;
  /** After SIGTERM, how long a replica may drain before SIGKILL. Default 10 000. */
  readonly drainTimeoutMs?: number;
  /** Upper bound of `scale`. Default 16. */
  readonly maxReplicas?: number;
  /** Standbys kept while the model is in the `host` warmth tier (setWarmTier; needs lbUrl). Default 1. */
  readonly standbyReplicas?: number;
}

export interface LocalProcessProviderOptions {
  /** Path of `warmpool-agent`'s bin script (resolve it at run time, e.g. from the agent's package). */
  readonly agentBinPath: string;
  /** Node executable that runs the agent. Default: the current one. */
  readonly nodePath?: string;
  /** Directory for per-replica logs (`<replicaId>.out.log`, `<replicaId>.err.log`); created if missing. */
  readonly runDir: string;
  readonly models: readonly LocalReplicaTemplate[];
  /** Period of the /readyz probe while a replica starts. Default 100. */
  readonly probeIntervalMs?: number;
  /** Timeout of one probe. Default 1 000. */
  readonly probeTimeoutMs?: number;
  /** Extra environment of every replica. */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * SIGKILL every replica still running when this Node process exits without close() (an
   * uncaught error, process.exit). Default true. Nothing can catch the owner's own SIGKILL.
   */
  readonly killOnExit?: boolean;
  /**
   * The state file of the processes this provider starts (pid, port, start time, replica id); default
   * `<runDir>/replicas.json`; false: none. On start, replicas listed there whose owner is gone (a killed daemon) are
   * ended, so the new daemon does not serve next to replicas it does not know.
   */
  readonly stateFile?: string | false;
  /**
   * A detached watchdog process that ends this provider's replicas when this process dies without close() (even by
   * SIGKILL). Default true.
   */
  readonly reaper?: boolean;
  /** Epoch ms (injected in tests). */
  readonly nowMs?: () => number;
  /** One structured event per replica transition. */
  readonly log?: (event: Record<string, unknown>) => void;
}

export interface ResolvedTemplate {
  readonly model: string;
  readonly modelSource: string;
  readonly agentArgs: readonly string[];
  readonly lbUrl: string | undefined;
  readonly lbToken: string | undefined;
  readonly portRange: { readonly first: number; readonly last: number } | undefined;
  readonly provisionDelayMs: number;
  readonly drainTimeoutMs: number;
  readonly maxReplicas: number;
  readonly standbyReplicas: number;
}

const RESERVED_ARGS = ['--model', '--name', '--port', '--lb', '--token', '--replica-id', '--standby'];

function isInt(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

/** Checks the options and fills defaults; every problem at once, naming the key path. */
export function resolveLocalProviderOptions(opts: LocalProcessProviderOptions): Map<string, ResolvedTemplate> {
  const issues: ValidationIssue[] = [];
  if (
    typeof opts.agentBinPath !== 'string' ||
    !existsSync(opts.agentBinPath) ||
    !statSync(opts.agentBinPath).isFile()
  ) {
    issues.push({
      path: 'agentBinPath',
      value: opts.agentBinPath,
      allowed: 'an existing file (warmpool-agent bin/warmpool-agent.js; build services/warmup-agent first)',
    });
  }
  if (typeof opts.runDir !== 'string' || opts.runDir.length === 0)
    issues.push({ path: 'runDir', value: opts.runDir, allowed: 'a directory path' });
  if (opts.probeIntervalMs !== undefined && !isInt(opts.probeIntervalMs, 10, 60_000))
    issues.push({ path: 'probeIntervalMs', value: opts.probeIntervalMs, allowed: 'an integer in [10, 60000]' });
  if (opts.probeTimeoutMs !== undefined && !isInt(opts.probeTimeoutMs, 10, 60_000))
    issues.push({ path: 'probeTimeoutMs', value: opts.probeTimeoutMs, allowed: 'an integer in [10, 60000]' });
  const out = new Map<string, ResolvedTemplate>();
  if (!Array.isArray(opts.models) || opts.models.length === 0)
    issues.push({ path: 'models', value: opts.models, allowed: 'a non-empty list of replica templates' });
  (Array.isArray(opts.models) ? opts.models : []).forEach((t, i) => {
    const at = (k: string): string => `models[${i}].${k}`;
    if (typeof t.model !== 'string' || !MODEL_NAME_PATTERN.test(t.model))
      issues.push({ path: at('model'), value: t.model, allowed: `a model name matching ${MODEL_NAME_PATTERN}` });
    else if (out.has(t.model))
      issues.push({ path: at('model'), value: t.model, allowed: 'a model name not used by another template' });
    if (t.modelSource !== undefined && (typeof t.modelSource !== 'string' || t.modelSource.length === 0))
      issues.push({ path: at('modelSource'), value: t.modelSource, allowed: 'a model file or bundled model name' });
    const args = t.agentArgs ?? [];
    if (!Array.isArray(args) || args.some((a) => typeof a !== 'string'))
      issues.push({ path: at('agentArgs'), value: args, allowed: 'a list of strings' });
    else
      for (const a of args)
        if (RESERVED_ARGS.includes(a.split('=')[0]!))
          issues.push({
            path: at('agentArgs'),
            value: a,
            allowed: `agent options other than ${RESERVED_ARGS.join(', ')} (the provider sets those)`,
          });
    if (t.lbUrl !== undefined) {
      let ok = false;
      try {
        const u = new URL(t.lbUrl);
        ok = u.protocol === 'http:' || u.protocol === 'https:';
      } catch {
        ok = false;
      }
      if (!ok) issues.push({ path: at('lbUrl'), value: t.lbUrl, allowed: 'an http(s) URL of the load balancer' });
      if (!t.lbToken)
        issues.push({
          path: at('lbToken'),
          value: t.lbToken,
          allowed: 'the shared registration token when lbUrl is set',
        });
    }
    if (
      t.portRange !== undefined &&
      (!isInt(t.portRange.first, 1, 65535) || !isInt(t.portRange.last, t.portRange.first, 65535))
    ) {
      issues.push({
        path: at('portRange'),
        value: t.portRange,
        allowed: '{ first, last } integers with 1 <= first <= last <= 65535',
      });
    }
    if (t.provisionDelayMs !== undefined && !isInt(t.provisionDelayMs, 0, 3_600_000))
      issues.push({ path: at('provisionDelayMs'), value: t.provisionDelayMs, allowed: 'an integer in [0, 3600000]' });
    if (t.drainTimeoutMs !== undefined && !isInt(t.drainTimeoutMs, 0, 3_600_000))
      issues.push({ path: at('drainTimeoutMs'), value: t.drainTimeoutMs, allowed: 'an integer in [0, 3600000]' });
    if (t.maxReplicas !== undefined && !isInt(t.maxReplicas, 1, 1024))
      issues.push({ path: at('maxReplicas'), value: t.maxReplicas, allowed: 'an integer in [1, 1024]' });
    if (t.standbyReplicas !== undefined && !isInt(t.standbyReplicas, 0, 64))
      issues.push({ path: at('standbyReplicas'), value: t.standbyReplicas, allowed: 'an integer in [0, 64]' });
    out.set(t.model, {
      model: t.model,
      modelSource: t.modelSource ?? t.model,
      agentArgs: [...args],
      lbUrl: t.lbUrl,
      lbToken: t.lbToken,
      portRange: t.portRange,
      provisionDelayMs: t.provisionDelayMs ?? 0,
      drainTimeoutMs: t.drainTimeoutMs ?? 10_000,
      maxReplicas: t.maxReplicas ?? 16,
      standbyReplicas: t.standbyReplicas ?? 1,
    });
  });
  if (issues.length > 0) throw new ValidationError(issues, 'local process provider options');
  return out;
}

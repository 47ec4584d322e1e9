import {
  EXECUTION_PROVIDER_NAMES,
  FileShapeStore,
  GRAPH_OPTIMIZATION_LEVELS,
  RedisShapeStore,
  SESSION_CONFIG_DEFAULTS,
  loadWarmupSpec,
  WARMUP_SPEC_DEFAULTS,
  type RedisHashClient,
  type SessionConfig,
  type ShapeStore,
  type WarmupSpec,
} from '@warmpool/warmup';
import type { CliArgs } from './cli-args.js';
import { defaultOptimizedCacheDir } from './model-source.js';

export const SESSION_FLAGS = ['no-opt-cache'];

/** `--providers cuda,cpu --graph-opt all --threads 1 --inter-threads 1 --opt-cache DIR | --no-opt-cache` */
export function readSessionArgs(args: CliArgs): SessionConfig {
  const noCache = args.flag('no-opt-cache');
  const cacheDir = args.string('opt-cache', defaultOptimizedCacheDir());
  return {
    ...SESSION_CONFIG_DEFAULTS,
    executionProviders: args.list('providers', EXECUTION_PROVIDER_NAMES, SESSION_CONFIG_DEFAULTS.executionProviders),
    graphOptimizationLevel: args.list('graph-opt', GRAPH_OPTIMIZATION_LEVELS, [
      SESSION_CONFIG_DEFAULTS.graphOptimizationLevel,
    ])[0]!,
    intraOpNumThreads: args.int('threads', SESSION_CONFIG_DEFAULTS.intraOpNumThreads, 0, 256),
    interOpNumThreads: args.int('inter-threads', SESSION_CONFIG_DEFAULTS.interOpNumThreads, 0, 256),
    optimizedModelCacheDir: noCache ? undefined : cacheDir,
  };
}

/** `--spec FILE` (JSON warm-up spec), else the defaults. */
export function readSpecArg(args: CliArgs): WarmupSpec {
  const file = args.string('spec');
  return file ? loadWarmupSpec(file) : WARMUP_SPEC_DEFAULTS;
}

/**
 * `--shapes-file FILE` (a JSON shape recording, read at start and written back) or `--shapes-redis URL`
 * (one hash per model; `redis` makes the client): where a replica records the shapes it serves and
 * where the next replica starts from. Undefined: neither given.
 */
export function readShapeStoreArg(
  args: CliArgs,
  model: string,
  redis?: (url: string) => RedisHashClient,
): ShapeStore | undefined {
  const file = args.string('shapes-file');
  const url = args.string('shapes-redis');
  if (file && url) {
    args.issues.push({
      path: '--shapes-redis',
      value: url,
      allowed: 'either --shapes-file or --shapes-redis, not both',
    });
    return undefined;
  }
  if (file) return new FileShapeStore(file);
  if (!url) return undefined;
  if (!redis) {
    args.issues.push({ path: '--shapes-redis', value: url, allowed: 'not available in this command' });
    return undefined;
  }
  return new RedisShapeStore(redis(url), model);
}

import { isAbsolute, resolve } from 'node:path';
import type { HistorySource } from '@warmpool/domain';
import type { Redis } from 'ioredis';
import { parseHistoryConfig, type HistoryConfig } from './config/history-config.js';
import { CsvHistorySource } from './csv/csv-history-source.js';
import { PrometheusHistorySource } from './prometheus/prometheus-history-source.js';
import { RedisHistorySource } from './redis/redis-history-source.js';

export interface CreateHistorySourceOptions {
  /** Directory that relative CSV paths are resolved against (the config file's directory). */
  readonly baseDir?: string;
  /** A Redis client to share instead of opening one from the config's url (the caller closes it). */
  readonly redis?: Redis;
  /** Names the config file in validation errors. */
  readonly source?: string;
  /** Key path of the config in its file (default `history`). */
  readonly path?: string;
}

/**
 * The history source a configuration asks for (`kind: prometheus | redis | csv`). The input is
 * validated first: a ValidationError lists every problem with key path, value and what is allowed.
 */
export function createHistorySource(config: unknown, opts: CreateHistorySourceOptions = {}): HistorySource {
  const c: HistoryConfig = parseHistoryConfig(config, {
    ...(opts.source !== undefined ? { source: opts.source } : {}),
    ...(opts.path !== undefined ? { path: opts.path } : {}),
  });
  switch (c.kind) {
    case 'prometheus':
      return new PrometheusHistorySource({
        url: c.url,
        query: c.query,
        ...(c.peakQuery !== undefined ? { peakQuery: c.peakQuery } : {}),
        models: c.models,
        timeoutMs: c.timeoutMs,
        retries: c.retries,
        backoffBaseMs: c.backoffBaseMs,
        maxPointsPerQuery: c.maxPointsPerQuery,
        headers: c.headers,
      });
    case 'redis':
      return new RedisHistorySource({
        redis: opts.redis ?? c.url,
        prefix: c.prefix,
        commandTimeoutMs: c.commandTimeoutMs,
      });
    case 'csv': {
      const base = opts.baseDir ?? process.cwd();
      const at = (p: string): string => (isAbsolute(p) ? p : resolve(base, p));
      const files = Object.fromEntries(Object.entries(c.files).map(([model, file]) => [model, at(file)]));
      return new CsvHistorySource({
        ...(c.directory !== undefined ? { directory: at(c.directory) } : {}),
        files,
        epochOffsetS: c.epochOffsetS,
      });
    }
  }
}

import { FieldReader, MODEL_NAME_PATTERN, ValidationError, type ValidationIssue } from '@warmpool/domain';
import { PROMETHEUS_MAX_POINTS, type PrometheusQueries } from '../prometheus/prometheus-history-source.js';
import { PROMQL_PLACEHOLDERS, unknownPlaceholders } from '../prometheus/promql-template.js';

export const HISTORY_KINDS = ['prometheus', 'redis', 'csv'] as const;
export type HistoryKind = (typeof HISTORY_KINDS)[number];

export interface PrometheusHistoryConfig extends PrometheusQueries {
  readonly kind: 'prometheus';
  readonly url: string;
  readonly models: Readonly<Record<string, PrometheusQueries>>;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly backoffBaseMs: number;
  readonly maxPointsPerQuery: number;
  readonly headers: Readonly<Record<string, string>>;
}

export interface RedisHistoryConfig {
  readonly kind: 'redis';
  readonly url: string;
  readonly prefix: string;
  readonly commandTimeoutMs: number;
}

export interface CsvHistoryConfig {
  readonly kind: 'csv';
  readonly directory: string | undefined;
  readonly files: Readonly<Record<string, string>>;
  readonly epochOffsetS: number;
}

/** A validated history source configuration. */
export type HistoryConfig = PrometheusHistoryConfig | RedisHistoryConfig | CsvHistoryConfig;

const MODEL_TEXT = 'model names (1-63 characters a-z, 0-9, "-", "_", ".")';

/**
 * Validates a history configuration (e.g. the `history:` mapping of warmpool.yaml), reporting every
 * problem at once as a ValidationError whose issues name the key path, the value and what is allowed.
 * `path` prefixes key paths (default `history`); `source` names the file.
 */
export function parseHistoryConfig(input: unknown, opts: { path?: string; source?: string } = {}): HistoryConfig {
  const r = new FieldReader(input, opts.path ?? 'history');
  const kind = r.oneOf('kind', HISTORY_KINDS);
  let config: HistoryConfig;
  switch (kind) {
    case 'prometheus':
      config = readPrometheus(r);
      break;
    case 'redis':
      config = readRedis(r);
      break;
    case 'csv':
      config = readCsv(r);
      break;
  }
  if (r.issues.length > 0) throw new ValidationError(r.issues, opts.source);
  return config;
}

function readPrometheus(r: FieldReader): PrometheusHistoryConfig {
  r.rejectUnknown([
    'kind',
    'url',
    'query',
    'peakQuery',
    'models',
    'timeoutMs',
    'retries',
    'backoffBaseMs',
    'maxPointsPerQuery',
    'headers',
  ]);
  const url = readUrl(r, 'url', ['http:', 'https:']);
  const queries = readQueries(r);
  const models: Record<string, PrometheusQueries> = {};
  forEachEntry(r, 'models', MODEL_TEXT, (model, sub) => {
    models[model] = readQueries(sub);
    sub.rejectUnknown(['query', 'peakQuery']);
  });
  const headers: Record<string, string> = {};
  const headerReader = r.child('headers');
  for (const [name, value] of Object.entries(objectOrEmpty(r.raw('headers')))) {
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name) || typeof value !== 'string') {
      r.issues.push({
        path: headerReader.path(name),
        value,
        allowed: 'a header name (token characters) with a string value',
      });
    } else headers[name] = value;
  }
  return {
    kind: 'prometheus',
    url,
    ...queries,
    models,
    timeoutMs: r.number('timeoutMs', { default: 10_000, min: 1, max: 600_000, integer: true }),
    retries: r.number('retries', { default: 2, min: 0, max: 10, integer: true }),
    backoffBaseMs: r.number('backoffBaseMs', { default: 250, min: 0, max: 60_000, integer: true }),
    maxPointsPerQuery: r.number('maxPointsPerQuery', {
      default: PROMETHEUS_MAX_POINTS,
      min: 1,
      max: PROMETHEUS_MAX_POINTS,
      integer: true,
    }),
    headers,
  };
}

function readQueries(r: FieldReader): PrometheusQueries {
  const template = (key: string): string => {
    const text = r.string(key);
    const bad = unknownPlaceholders(text);
    if (bad.length > 0) {
      r.issues.push({
        path: r.path(key),
        value: text,
        allowed: `PromQL using only the placeholders ${PROMQL_PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')} (unknown: ${bad.join(', ')})`,
      });
    }
    return text;
  };
  const query = template('query');
  return r.has('peakQuery') ? { query, peakQuery: template('peakQuery') } : { query };
}

function readRedis(r: FieldReader): RedisHistoryConfig {
  r.rejectUnknown(['kind', 'url', 'prefix', 'commandTimeoutMs']);
  return {
    kind: 'redis',
    url: r.has('url') ? readUrl(r, 'url', ['redis:', 'rediss:']) : 'redis://127.0.0.1:6379',
    prefix: r.string('prefix', {
      default: 'warmpool:demand',
      pattern: /^[^\s{}]+$/,
      patternText: 'a key prefix without spaces or braces',
    }),
    commandTimeoutMs: r.number('commandTimeoutMs', { default: 2000, min: 1, max: 600_000, integer: true }),
  };
}

function readCsv(r: FieldReader): CsvHistoryConfig {
  r.rejectUnknown(['kind', 'directory', 'files', 'epochOffsetS']);
  const directory = r.has('directory') ? r.string('directory') : undefined;
  const files: Record<string, string> = {};
  const filesReader = r.child('files');
  for (const [model, file] of Object.entries(objectOrEmpty(r.raw('files')))) {
    if (!MODEL_NAME_PATTERN.test(model))
      r.issues.push({ path: filesReader.path(model), value: model, allowed: `keys that are ${MODEL_TEXT}` });
    else if (typeof file !== 'string' || file.length === 0)
      r.issues.push({ path: filesReader.path(model), value: file, allowed: 'a file path' });
    else files[model] = file;
  }
  if (directory === undefined && Object.keys(files).length === 0 && !hasProblemAt(r.issues, r.path('files'))) {
    r.issues.push({
      path: r.path('directory'),
      value: undefined,
      allowed: 'a directory of <model>.csv files, or a "files" mapping of model to file (at least one)',
    });
  }
  return { kind: 'csv', directory, files, epochOffsetS: r.number('epochOffsetS', { default: 0, min: 0 }) };
}

function readUrl(r: FieldReader, key: string, protocols: readonly string[]): string {
  const text = r.string(key);
  if (text === '') return text;
  let ok = false;
  try {
    ok = protocols.includes(new URL(text).protocol);
  } catch {
    ok = false;
  }
  if (!ok)
    r.issues.push({
      path: r.path(key),
      value: text,
      allowed: `a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`,
    });
  return text;
}

/** Calls `each` for every entry of the mapping at `key`, whose keys must be model names. */
function forEachEntry(
  r: FieldReader,
  key: string,
  keyText: string,
  each: (name: string, reader: FieldReader) => void,
): void {
  const parent = r.child(key);
  for (const name of Object.keys(objectOrEmpty(r.raw(key)))) {
    if (!MODEL_NAME_PATTERN.test(name)) {
      r.issues.push({ path: parent.path(name), value: name, allowed: `keys that are ${keyText}` });
      continue;
    }
    each(name, parent.child(name));
  }
}

function objectOrEmpty(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function hasProblemAt(issues: readonly ValidationIssue[], path: string): boolean {
  return issues.some((i) => i.path === path || i.path.startsWith(`${path}.`));
}

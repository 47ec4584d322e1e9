import { isAbsolute, resolve } from 'node:path';
import { type FieldReader, ValidationError } from '@warmpool/domain';
import { parseHistoryConfig, type HistoryConfig as HistorySettings } from '@warmpool/history';
import { asObject, type ConfigEnv, DAY_S } from './config-fields.js';
import type { HistoryConfig, HistoryKind, ModelConfig } from './warmpool-config.js';

/**
 * `history:` — `kind: none` here; the other kinds are validated by @warmpool/history's own schema (so the file
 * takes exactly what `createHistorySource` takes), plus `backfillS`. A model's `historyQuery` is merged in: the
 * PromQL of `kind: prometheus` (`models.<name>.query`) or the trace file of `kind: csv` (`files.<name>`).
 */
export function readHistory(
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

function absoluteCsv(c: Extract<HistorySettings, { kind: 'csv' }>, baseDir: string): HistorySettings {
  const at = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
  return {
    ...c,
    directory: c.directory === undefined ? undefined : at(c.directory),
    files: Object.fromEntries(Object.entries(c.files).map(([m, f]) => [m, at(f)])),
  };
}

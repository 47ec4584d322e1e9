import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValidationError } from '@warmpool/domain';
import { describe, expect, it } from 'vitest';
import { parseHistoryConfig } from '../src/config/history-config.js';
import { createHistorySource } from '../src/create-history-source.js';
import { CsvHistorySource } from '../src/csv/csv-history-source.js';
import { PrometheusHistorySource } from '../src/prometheus/prometheus-history-source.js';
import { RedisHistorySource } from '../src/redis/redis-history-source.js';

function problems(input: unknown): { path: string; value: unknown; allowed: string }[] {
  try {
    parseHistoryConfig(input, { source: 'warmpool.yaml' });
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).message).toContain('warmpool.yaml');
    return (err as ValidationError).issues.map((i) => ({ path: i.path, value: i.value, allowed: i.allowed }));
  }
  throw new Error('expected a ValidationError');
}

describe('parseHistoryConfig', () => {
  it('prometheus: fills defaults', () => {
    expect(
      parseHistoryConfig({
        kind: 'prometheus',
        url: 'http://prom:9090',
        query: 'sum(rate(r{model="{{model}}"}[{{step}}]))',
      }),
    ).toEqual({
      kind: 'prometheus',
      url: 'http://prom:9090',
      query: 'sum(rate(r{model="{{model}}"}[{{step}}]))',
      models: {},
      timeoutMs: 10_000,
      retries: 2,
      backoffBaseMs: 250,
      maxPointsPerQuery: 11_000,
      headers: {},
    });
  });

  it('prometheus: reports every problem with key path, value and what is allowed', () => {
    const found = problems({
      kind: 'prometheus',
      url: 'ftp://x',
      query: 'sum(x{m="{{modle}}"})',
      retries: -1,
      maxPointsPerQuery: 20_000,
      models: { 'Bad Name': { query: 'x' }, ok: { query: '', extra: 1 } },
      headers: { 'bad header': 'v' },
      typo: true,
    });
    const paths = found.map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'history.url',
        'history.query',
        'history.retries',
        'history.maxPointsPerQuery',
        'history.models.Bad Name',
        'history.models.ok.query',
        'history.models.ok.extra',
        'history.headers.bad header',
        'history.typo',
      ]),
    );
    expect(found.find((f) => f.path === 'history.url')!.allowed).toContain('http://');
    expect(found.find((f) => f.path === 'history.query')!.allowed).toContain('unknown: modle');
    expect(found.find((f) => f.path === 'history.maxPointsPerQuery')).toEqual({
      path: 'history.maxPointsPerQuery',
      value: 20_000,
      allowed: 'an integer in [1, 11000]',
    });
  });

  it('redis: defaults and checks', () => {
    expect(parseHistoryConfig({ kind: 'redis' })).toEqual({
      kind: 'redis',
      url: 'redis://127.0.0.1:6379',
      prefix: 'warmpool:demand',
      commandTimeoutMs: 2000,
    });
    expect(problems({ kind: 'redis', url: 'http://x', prefix: 'a b' }).map((p) => p.path)).toEqual([
      'history.url',
      'history.prefix',
    ]);
  });

  it('csv: needs a directory or files; keys must be model names', () => {
    expect(problems({ kind: 'csv' }).map((p) => p.path)).toEqual(['history.directory']);
    expect(problems({ kind: 'csv', files: { 'A!': 'x.csv', ok: 3 }, epochOffsetS: -5 }).map((p) => p.path)).toEqual([
      'history.files.A!',
      'history.files.ok',
      'history.epochOffsetS',
    ]);
  });

  it('an unknown kind or a non-object is reported', () => {
    expect(problems({ kind: 'influx' })[0]).toEqual({
      path: 'history.kind',
      value: 'influx',
      allowed: 'one of prometheus, redis, csv',
    });
    expect(problems('csv')[0]!.path).toBe('history');
  });
});

describe('createHistorySource', () => {
  it('builds the adapter each kind names', async () => {
    const prom = createHistorySource({ kind: 'prometheus', url: 'http://127.0.0.1:9', query: 'sum(x)' });
    expect(prom).toBeInstanceOf(PrometheusHistorySource);
    expect((prom as PrometheusHistorySource).endpoint).toBe('http://127.0.0.1:9/api/v1/query_range');
    await prom.close();
    const redis = createHistorySource({ kind: 'redis', url: 'redis://127.0.0.1:6379', prefix: 'p' });
    expect(redis).toBeInstanceOf(RedisHistorySource);
    await redis.close();
  });

  it('resolves relative CSV paths against baseDir', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'warmpool-cfg-'));
    try {
      await writeFile(join(dir, 'llama.csv'), 't,count\n0,120\n60,120\n');
      const s = createHistorySource(
        { kind: 'csv', files: { llama: 'llama.csv' }, epochOffsetS: 1000 },
        { baseDir: dir },
      );
      expect(s).toBeInstanceOf(CsvHistorySource);
      expect((await s.read('llama', 1000, 1120, 60)).map((o) => o.meanPerS)).toEqual([2, 2]);
      await s.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('throws the ValidationError for a bad config, naming the file', () => {
    expect(() => createHistorySource({ kind: 'prometheus' }, { source: 'etc/warmpool.yaml' })).toThrow(
      /etc\/warmpool.yaml[\s\S]*history.url/,
    );
  });
});

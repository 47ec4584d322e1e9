import { describe, expect, it } from 'vitest';
import { LatencyHistogram, DEFAULT_LATENCY_BUCKETS_S } from '../src/latency-histogram.js';
import { PROMETHEUS_CONTENT_TYPE, PrometheusText } from '../src/prometheus-text.js';

describe('PrometheusText', () => {
  it('writes one HELP/TYPE header per family, samples with escaped labels, special values, a final newline', () => {
    const out = new PrometheusText()
      .family('up', 'gauge', 'Whether it is up.')
      .sample('up', {}, 1)
      .family('up', 'gauge', 'declared twice, written once')
      .sample('up', { model: 'a"b\\c\nd' }, 0.5)
      .family('odd', 'gauge', 'Special values.')
      .sample('odd', { k: 'v', l: 'w' }, NaN)
      .sample('odd', {}, Infinity)
      .sample('odd', {}, -Infinity);
    expect(out.toString()).toBe(
      [
        '# HELP up Whether it is up.',
        '# TYPE up gauge',
        'up 1',
        'up{model="a\\"b\\\\c\\nd"} 0.5',
        '# HELP odd Special values.',
        '# TYPE odd gauge',
        'odd{k="v",l="w"} NaN',
        'odd +Inf',
        'odd -Inf',
        '',
      ].join('\n'),
    );
    expect(PROMETHEUS_CONTENT_TYPE).toBe('text/plain; version=0.0.4; charset=utf-8');
  });
});

describe('LatencyHistogram', () => {
  it('counts cumulative buckets (le inclusive), +Inf, sum and count', () => {
    const h = new LatencyHistogram([0.1, 1]);
    for (const s of [0.05, 0.1, 0.5, 2]) h.observe(s);
    expect(h.count).toBe(4);
    const out = new PrometheusText().family('lat_seconds', 'histogram', 'Latency.');
    h.write(out, 'lat_seconds', { model: 'm' });
    expect(out.toString().split('\n').slice(2, -1)).toEqual([
      'lat_seconds_bucket{model="m",le="0.1"} 2',
      'lat_seconds_bucket{model="m",le="1"} 3',
      'lat_seconds_bucket{model="m",le="+Inf"} 4',
      'lat_seconds_sum{model="m"} 2.65',
      'lat_seconds_count{model="m"} 4',
    ]);
  });

  it('defaults to 1 ms .. 10 s buckets', () => {
    const h = new LatencyHistogram();
    expect(h.bucketsS).toBe(DEFAULT_LATENCY_BUCKETS_S);
    expect([DEFAULT_LATENCY_BUCKETS_S[0], DEFAULT_LATENCY_BUCKETS_S.at(-1)]).toEqual([0.001, 10]);
    const out = new PrometheusText();
    h.write(out, 'x', {});
    expect(out.toString()).toContain('x_bucket{le="+Inf"} 0\nx_sum 0\nx_count 0\n');
  });
});

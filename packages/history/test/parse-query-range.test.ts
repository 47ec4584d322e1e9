import { describe, expect, it } from 'vitest';
import { HistoryResponseError } from '../src/errors/history-response-error.js';
import { parseQueryRange, parseSampleValue } from '../src/prometheus/parse-query-range.js';
import { renderPromql, unknownPlaceholders } from '../src/prometheus/promql-template.js';

const URL_ = 'http://127.0.0.1:9/api/v1/query_range';
const Q = 'sum(rate(x[1m]))';

function matrix(result: unknown[]): string {
  return JSON.stringify({ status: 'success', data: { resultType: 'matrix', result } });
}

function thrown(fn: () => unknown): HistoryResponseError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(HistoryResponseError);
    return err as HistoryResponseError;
  }
  throw new Error('expected a throw');
}

describe('parseSampleValue', () => {
  it.each([
    ['1.5', 1.5],
    ['0', 0],
    ['1e3', 1000],
    ['-2', -2],
    ['+Inf', Infinity],
    ['-Inf', -Infinity],
  ])('%s → %d', (text, value) => expect(parseSampleValue(text)).toBe(value));
  it('NaN string → NaN; garbage → undefined', () => {
    expect(parseSampleValue('NaN')).toBeNaN();
    expect(parseSampleValue('abc')).toBeUndefined();
    expect(parseSampleValue('')).toBeUndefined();
    expect(parseSampleValue(3)).toBeUndefined();
  });
});

describe('parseQueryRange', () => {
  it('reads the one series, special values included', () => {
    const body = matrix([
      {
        metric: {},
        values: [
          [100, '1.5'],
          [160, 'NaN'],
          [220, '+Inf'],
        ],
      },
    ]);
    const points = parseQueryRange(body, URL_, Q, 200);
    expect(points.map((p) => p[0])).toEqual([100, 160, 220]);
    expect(points[0]![1]).toBe(1.5);
    expect(points[1]![1]).toBeNaN();
    expect(points[2]![1]).toBe(Infinity);
  });

  it('no series is no data, not an error', () => {
    expect(parseQueryRange(matrix([]), URL_, Q, 200)).toEqual([]);
  });

  it('more than one series → error saying the query must aggregate, naming URL and query', () => {
    const body = matrix([
      { metric: { pod: 'a' }, values: [] },
      { metric: { pod: 'b' }, values: [] },
    ]);
    const err = thrown(() => parseQueryRange(body, URL_, Q, 200));
    expect(err.code).toBe('E_HISTORY_RESPONSE');
    expect(err.message).toContain('2 series');
    expect(err.message).toContain('must aggregate to one series');
    expect(err.message).toContain(URL_);
    expect(err.message).toContain(Q);
    expect(err.target).toBe(URL_);
    expect(err.query).toBe(Q);
  });

  it('error status → errorType and error in the message', () => {
    const body = JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error at char 5' });
    const err = thrown(() => parseQueryRange(body, URL_, Q, 400));
    expect(err.message).toContain('HTTP 400');
    expect(err.message).toContain('bad_data: parse error at char 5');
  });

  it('non-JSON body → error quoting its start', () => {
    const err = thrown(() => parseQueryRange('<html>502 Bad Gateway</html>', URL_, Q, 200));
    expect(err.message).toContain('not JSON');
    expect(err.message).toContain('<html>502');
    expect(err.cause).toBeInstanceOf(SyntaxError);
  });

  it.each([
    [
      'wrong resultType',
      JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [] } }),
      'resultType is "vector"',
    ],
    ['no data', JSON.stringify({ status: 'success' }), '"data" is missing'],
    [
      'result not array',
      JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: {} } }),
      'not an array',
    ],
    ['odd status', JSON.stringify({ status: 'weird' }), 'status is "weird"'],
    ['bad pair', matrix([{ metric: {}, values: [[1, 2, 3]] }]), 'values[0] is not a [time, "value"] pair'],
    ['number value', matrix([{ metric: {}, values: [[1, 2]] }]), 'values[0] has a value that is not a number string'],
    ['no values', matrix([{ metric: {} }]), 'no "values" array'],
    ['array body', '[]', 'not a JSON object'],
  ])('%s → typed error', (_name, body, text) => {
    expect(thrown(() => parseQueryRange(body, URL_, Q, 200)).message).toContain(text);
  });
});

describe('PromQL templates', () => {
  it('substitutes model, step and stepS', () => {
    expect(renderPromql('sum(rate(r{model="{{model}}"}[{{ step }}])) / {{stepS}}', 'llama-7b', 60)).toBe(
      'sum(rate(r{model="llama-7b"}[60s])) / 60',
    );
    expect(renderPromql('x[{{step}}]', 'm', 1.5)).toBe('x[1500ms]');
  });
  it('escapes quotes and backslashes in the label value', () => {
    expect(renderPromql('{m="{{model}}"}', 'a"b\\c', 1)).toBe('{m="a\\"b\\\\c"}');
  });
  it('lists unknown placeholders', () => {
    expect(unknownPlaceholders('x{{model}}{{modle}}{{job}}{{modle}}')).toEqual(['modle', 'job']);
    expect(unknownPlaceholders('sum(x{a="{{model}}"})')).toEqual([]);
  });
});

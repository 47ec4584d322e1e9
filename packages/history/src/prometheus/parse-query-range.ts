import { HistoryResponseError } from '../errors/history-response-error.js';

/** One answered point: evaluation time (s) and value (NaN for "NaN", ±Infinity for "±Inf"). */
export type PrometheusPoint = readonly [timeS: number, value: number];

/** Parses a Prometheus sample value string: decimal numbers, "NaN", "+Inf", "-Inf". */
export function parseSampleValue(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  switch (text) {
    case 'NaN':
      return NaN;
    case '+Inf':
    case 'Inf':
      return Infinity;
    case '-Inf':
      return -Infinity;
  }
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text)) return undefined;
  return Number(text);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** `errorType: error` of a Prometheus error body, or undefined when the body is not one. */
export function prometheusErrorText(bodyText: string): string | undefined {
  try {
    const body: unknown = JSON.parse(bodyText);
    if (isRecord(body) && body.status === 'error') {
      return `${typeof body.errorType === 'string' ? body.errorType : 'unknown'}: ${typeof body.error === 'string' ? body.error : '(no error text)'}`;
    }
  } catch {
    // not JSON: no Prometheus error text to show
  }
  return undefined;
}

/**
 * Reads the body of a `query_range` answer (`{status, data: {resultType: "matrix", result: [...]}}`).
 * No series → no points (no data). More than one series, an error status, or any other shape →
 * HistoryResponseError naming `url` and `query`.
 */
export function parseQueryRange(bodyText: string, url: string, query: string, httpStatus: number): PrometheusPoint[] {
  const fail = (problem: string, cause?: unknown): HistoryResponseError =>
    new HistoryResponseError('prometheus', url, problem, { query, cause });
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch (err) {
    const head = bodyText.slice(0, 120).replace(/\s+/g, ' ');
    throw fail(`HTTP ${httpStatus}: the answer is not JSON: "${head}"`, err);
  }
  if (!isRecord(body)) throw fail(`HTTP ${httpStatus}: the answer is not a JSON object`);
  if (body.status === 'error')
    throw fail(`HTTP ${httpStatus}: Prometheus error ${prometheusErrorText(bodyText) ?? ''}`);
  if (body.status !== 'success')
    throw fail(`HTTP ${httpStatus}: status is ${JSON.stringify(body.status)}, expected "success" or "error"`);
  const data = body.data;
  if (!isRecord(data)) throw fail('"data" is missing or not an object');
  if (data.resultType !== 'matrix') {
    throw fail(
      `resultType is ${JSON.stringify(data.resultType)}, expected "matrix" (query_range of an instant-vector expression)`,
    );
  }
  const result = data.result;
  if (!Array.isArray(result)) throw fail('"data.result" is not an array');
  if (result.length === 0) return [];
  if (result.length > 1) {
    const labels = result
      .slice(0, 3)
      .map((s) => JSON.stringify(isRecord(s) ? s.metric : s))
      .join(', ');
    throw fail(
      `the query returned ${result.length} series (${labels}${result.length > 3 ? ', ...' : ''}); it must aggregate to one series, e.g. wrap it in sum(...)`,
    );
  }
  const series = result[0];
  if (!isRecord(series) || !Array.isArray(series.values)) throw fail('the series has no "values" array');
  const points: PrometheusPoint[] = [];
  for (let i = 0; i < series.values.length; i++) {
    const pair: unknown = series.values[i];
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'number' || !Number.isFinite(pair[0])) {
      throw fail(`values[${i}] is not a [time, "value"] pair: ${JSON.stringify(pair)}`);
    }
    const value = parseSampleValue(pair[1]);
    if (value === undefined)
      throw fail(`values[${i}] has a value that is not a number string: ${JSON.stringify(pair[1])}`);
    points.push([pair[0], value]);
  }
  return points;
}

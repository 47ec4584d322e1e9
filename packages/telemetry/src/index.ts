export { PrometheusText, PROMETHEUS_CONTENT_TYPE, type Labels } from './prometheus-text.js';
export { LatencyHistogram, DEFAULT_LATENCY_BUCKETS_S } from './latency-histogram.js';
export { BodyTooLargeError, readBody, sendJson, sendText } from './http-io.js';
export { listenHttp, closeHttp, KEEP_ALIVE_TIMEOUT_MS, type ListeningAddress } from './http-server.js';

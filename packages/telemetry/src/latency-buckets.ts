/** Default latency histogram buckets in seconds (1 ms .. 10 s), shared by every prom-client latency histogram. */
export const DEFAULT_LATENCY_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

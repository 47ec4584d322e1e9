import { Registry, collectDefaultMetrics } from 'prom-client';

/**
 * prom-client's default metrics that are gauges named `_total` (Prometheus' naming guide and `promtool check metrics`
 * reserve the suffix for counters). Their per-type gauges (`nodejs_active_handles{type}`, ...) stay.
 */
const MISNAMED_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/**
 * A prom-client registry with prom-client's default process and Node.js metrics: the one way a warmpool binary starts
 * its `/metrics` (daemon, model server, load balancer).
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  for (const name of MISNAMED_DEFAULTS) registry.removeSingleMetric(name);
  return registry;
}

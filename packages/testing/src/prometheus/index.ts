export { describeWithPromtool, exposedMetricNames, probePromtool, promtoolCheckMetrics } from './promtool.js';

/**
 * Layer rules of DESIGN.md, checked in CI: imports point down only, and no cycles.
 * domain <- forecast <- planner <- sim; adapters see only domain and telemetry (and their SDK); telemetry (Prometheus
 * text, latency histogram, JSON HTTP helpers, the pino logger) imports only node built-ins, pino and prom-client; services compose everything.
 */
const pkg = (name) => `^(packages/${name}/|node_modules/@warmpool/${name}/)`;
const anyWarmpoolExcept = (allowed) => `^(packages|services)/(?!(${allowed.join('|')})/)`;

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'domain-imports-nothing',
      severity: 'error',
      from: { path: pkg('domain') },
      to: { path: anyWarmpoolExcept(['domain']) },
    },
    {
      name: 'telemetry-imports-nothing-of-ours',
      severity: 'error',
      from: { path: pkg('telemetry') },
      to: { path: anyWarmpoolExcept(['telemetry']) },
    },
    {
      name: 'telemetry-imports-node-builtins-only',
      severity: 'error',
      from: { path: pkg('telemetry') },
      // and the one logger (pino) and metrics registry (prom-client) it provides
      to: { dependencyTypesNot: ['core', 'local'], pathNot: '(^|/)node_modules/(pino|prom-client)/' },
    },
    {
      name: 'forecast-imports-domain-only',
      severity: 'error',
      from: { path: pkg('forecast') },
      to: { path: anyWarmpoolExcept(['domain', 'forecast']) },
    },
    {
      name: 'planner-imports-domain-forecast',
      severity: 'error',
      from: { path: pkg('planner') },
      to: { path: anyWarmpoolExcept(['domain', 'forecast', 'planner']) },
    },
    {
      name: 'sim-imports-domain-forecast-planner',
      severity: 'error',
      from: { path: pkg('sim') },
      to: { path: anyWarmpoolExcept(['domain', 'forecast', 'planner', 'sim']) },
    },
    {
      name: 'adapters-import-domain-only',
      severity: 'error',
      from: { path: '^packages/(provider-[^/]+|history-[^/]+|queue|warmup|load-balancer)/src/' },
      to: { path: '^(packages/(forecast|planner|sim)|services)/' },
    },
    {
      name: 'dashboard-imports-domain-only',
      severity: 'error',
      from: { path: pkg('dashboard') },
      to: { path: anyWarmpoolExcept(['domain', 'dashboard']) },
    },
    {
      name: 'packages-never-import-services',
      severity: 'error',
      from: { path: '^packages/' },
      to: { path: '^services/' },
    },
  ],
  options: {
    doNotFollow: { path: '(^|/)(node_modules|dist)/' },
    exclude: { path: '\\.test\\.ts$|/test/|/bench/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
};

import type { CommandOption, CommandSpec } from '@warmpool/telemetry';
import { TEST_MODEL_CATALOG } from '@warmpool/warmup';

// The option tables of `warmpool-agent`: CliArgs parses each command's words against its table and `--help` prints
// the same table. Values are checked where they are read (session-args, registrar-args, serve-command).

const SESSION_OPTIONS: Readonly<Record<string, CommandOption>> = {
  providers: {
    type: 'string',
    value: 'cuda,cpu',
    default: 'cuda,cpu',
    help: 'execution providers in order (cuda falls back to cpu where missing)',
  },
  'graph-opt': {
    type: 'string',
    value: 'disabled|basic|extended|all',
    default: 'all',
    help: 'ONNX Runtime graph optimization level',
  },
  threads: { type: 'string', value: 'N', default: 1, help: 'intra-op threads (0: ONNX Runtime decides)' },
  'inter-threads': { type: 'string', value: 'N', default: 1, help: 'inter-op threads' },
  'opt-cache': {
    type: 'string',
    value: 'DIR',
    help: 'cache of optimized models (default under the user cache folder)',
  },
  'no-opt-cache': { type: 'boolean', help: 'no optimized-model cache' },
};

const MODEL = {
  type: 'string',
  value: 'FILE|NAME',
  required: true,
  help: `an .onnx file or a bundled test model (${Object.keys(TEST_MODEL_CATALOG).join(', ')})`,
} as const;
const SPEC = {
  type: 'string',
  value: 'FILE',
  help: 'JSON warm-up spec (shapes, passes, convergence, onTimeout)',
} as const;
const LOG_LEVEL = {
  type: 'string',
  value: 'LEVEL',
  default: 'WARMPOOL_LOG_LEVEL or info',
  help: 'trace|debug|info|warn|error|fatal|silent',
} as const;
const TOKEN_FILE = {
  type: 'string',
  value: 'FILE',
  help: 'file whose first line is the token (else WARMPOOL_LB_TOKEN; never on the command line)',
} as const;

const EXIT_CODES =
  'exit codes: 0 ok / stopped by a signal, 1 not ready or failed warm-up, 2 bad arguments or input,\n            3 registration failed (load balancer, Kubernetes API, lifecycle hook, instance metadata)';

export const WARM_COMMAND: CommandSpec = {
  name: 'warmpool-agent warm',
  summary: 'load and warm a model once and report what warming bought (cold first request vs steady state)',
  options: {
    model: MODEL,
    spec: SPEC,
    'first-requests': { type: 'string', value: 'N', default: 10, help: 'requests measured after the warm-up, 1-10000' },
    'max-body-bytes': {
      type: 'string',
      value: 'N',
      help: "the model server's largest request body, as serve's (default 16 MiB); larger encodings are skipped",
    },
    json: { type: 'boolean', help: 'the measurement as JSON' },
    ...SESSION_OPTIONS,
  },
  notes: EXIT_CODES,
};

export const SERVE_COMMAND: CommandSpec = {
  name: 'warmpool-agent serve',
  summary: 'serve a model (KServe v2 and v1 JSON), warm it, then register it where traffic comes from',
  options: {
    model: MODEL,
    name: { type: 'string', value: 'MODEL', help: 'model name served and registered (default: from the file)' },
    spec: SPEC,
    port: { type: 'string', value: 'N', default: 0, help: 'HTTP port (0: any free one)' },
    host: { type: 'string', value: 'H', default: '127.0.0.1', help: 'listen address' },
    'replica-id': { type: 'string', value: 'ID', help: "this replica's id (default: from the registrar)" },
    'max-concurrency': { type: 'string', value: 'N', default: 1, help: 'inferences at once' },
    'max-queue': { type: 'string', value: 'N', default: 32, help: 'requests waiting beyond those (then 503)' },
    'min-service-ms': {
      type: 'string',
      value: 'MS',
      default: 0,
      help: 'each inference holds its slot at least MS (stands in for accelerator time)',
    },
    'max-body-bytes': { type: 'string', value: 'N', help: 'largest request body' },
    'max-output-bytes': { type: 'string', value: 'N', help: 'largest response' },
    'request-timeout-ms': { type: 'string', value: 'MS', help: 'per request' },
    'input-limit-factor': {
      type: 'string',
      value: 'F',
      help: 'inputs at most F x the largest warmed shape (0: no limit)',
    },
    'http-warm-rounds': {
      type: 'string',
      value: 'N',
      default: 2,
      help: 'request-path warm rounds over HTTP before /readyz',
    },
    'shapes-file': { type: 'string', value: 'FILE', help: 'record the shapes served in FILE, and start from it' },
    'shapes-redis': { type: 'string', value: 'URL', help: 'the same in a Redis hash per model' },
    'shapes-save-ms': { type: 'string', value: 'MS', default: 30_000, help: 'how often the shape recording is saved' },
    'log-level': LOG_LEVEL,
    registrar: {
      type: 'string',
      value: 'none|local|kubernetes|aws',
      default: 'local with --lb, else none',
      help: 'where the warm replica is registered',
    },
    'heartbeat-s': { type: 'string', value: 'S', default: '10 (aws: 60)', help: 'registration heartbeat' },
    'on-failure': { type: 'string', value: 'exit|stay', default: 'exit', help: 'when registration fails for good' },
    standby: {
      type: 'boolean',
      help: "warm, then wait unregistered until promoted (SIGUSR2): the local provider's host-tier standby",
    },
    'register-retries': { type: 'string', value: 'N', default: 5, help: 'tries after the first on transient failures' },
    'register-retry-delay-ms': { type: 'string', value: 'MS', default: 500, help: 'first retry delay' },
    lb: { type: 'string', value: 'URL', help: 'local: the load balancer to register with' },
    'token-file': TOKEN_FILE,
    token: {
      type: 'string',
      value: 'T',
      help: 'refused: a token on the command line is visible in ps (use WARMPOOL_LB_TOKEN or --token-file)',
    },
    pod: { type: 'string', value: 'NAME', help: 'kubernetes: this pod (default POD_NAME)' },
    namespace: { type: 'string', value: 'NS', help: 'kubernetes: its namespace (default POD_NAMESPACE)' },
    kubeconfig: { type: 'string', value: 'FILE', help: 'kubernetes: kubeconfig (default KUBECONFIG, else in-cluster)' },
    asg: { type: 'string', value: 'GROUP', help: 'aws: the Auto Scaling group' },
    'lifecycle-hook': { type: 'string', value: 'HOOK', help: 'aws: the launch lifecycle hook completed when warm' },
    'instance-id': { type: 'string', value: 'ID', help: 'aws: this instance (default from IMDSv2)' },
    region: { type: 'string', value: 'R', help: 'aws: region (default AWS_REGION, else IMDSv2)' },
    'aws-endpoint': { type: 'string', value: 'URL', help: 'aws: Auto Scaling endpoint override' },
    'imds-endpoint': {
      type: 'string',
      value: 'URL',
      default: 'http://169.254.169.254',
      help: 'aws: instance metadata service',
    },
    'imds-timeout-ms': { type: 'string', value: 'MS', default: 2000, help: 'aws: per metadata request' },
    'lifecycle-state': {
      type: 'string',
      value: 'imds|in-service',
      default: 'imds unless --instance-id',
      help: 'aws: where the target lifecycle state comes from',
    },
    'warm-pool-poll-ms': {
      type: 'string',
      value: 'MS',
      default: 5000,
      help: 'aws: poll while the instance waits in the warm pool',
    },
    ...SESSION_OPTIONS,
  },
  notes: `${EXIT_CODES}\nTokens come from WARMPOOL_LB_TOKEN or --token-file, never the command line (the replica's own credential,\nderiveReplicaToken(secret, replica id), or the shared secret).`,
};

export const LB_COMMAND: CommandSpec = {
  name: 'warmpool-agent lb',
  summary: 'the load balancer replicas register with (least-loaded, slow start, health checks)',
  options: {
    port: { type: 'string', value: 'N', default: 8080, help: 'HTTP port' },
    host: { type: 'string', value: 'H', default: '127.0.0.1', help: 'listen address' },
    'token-file': {
      ...TOKEN_FILE,
      help: 'file holding the shared secret (else WARMPOOL_LB_TOKEN; never on the command line)',
    },
    token: { type: 'string', value: 'T', help: 'refused: use WARMPOOL_LB_TOKEN or --token-file' },
    models: { type: 'string', value: 'A,B', help: 'models served (default: any that registers)' },
    'slow-start-s': { type: 'string', value: 'S', default: 30, help: "a new replica's traffic ramps over S seconds" },
    'health-interval-s': { type: 'string', value: 'S', default: 2, help: 'health check period' },
    'log-level': LOG_LEVEL,
  },
  notes: EXIT_CODES,
};

export const AGENT_COMMANDS: Readonly<Record<string, CommandSpec>> = {
  warm: WARM_COMMAND,
  serve: SERVE_COMMAND,
  lb: LB_COMMAND,
};

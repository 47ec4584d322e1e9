export { main, type Io } from './main.js';
export { serve, ExitCode } from './serve-command.js';
export { measureWarmup, type WarmMeasurement, type ShapeMeasurement, type WarmOptions } from './warm-command.js';
export { ReplicaAgent, type ReplicaAgentOptions, type AgentOutcome } from './replica-agent.js';
export { GatedReplica } from './gated-replica.js';
export { HeartbeatLoop, type HeartbeatLoopOptions } from './heartbeat-loop.js';
export {
  InstanceMetadataClient,
  DEFAULT_IMDS_ENDPOINT,
  TARGET_STATES,
  type InstanceMetadataClientOptions,
  type TargetLifecycleState,
} from './instance-metadata-client.js';
export {
  AwsWarmPoolRegistrar,
  type AwsWarmPoolRegistrarOptions,
  type QuickPassReplica,
} from './aws-warm-pool-registrar.js';
export {
  readRegistrationArgs,
  REGISTRAR_KINDS,
  type RegistrarArgs,
  type RegistrarKind,
  type RegistrationArgs,
} from './registrar-args.js';
export { buildRegistrar, type BuiltRegistrar } from './registrar-factory.js';
export { describeRegistrarFailure, type RegistrarFailure } from './registrar-failure.js';
export { resolveModel, modelNameFromFile } from './model-source.js';

export { main, type Io } from './main.js';
export { measureWarmup, type WarmMeasurement, type ShapeMeasurement, type WarmOptions } from './warm-command.js';
export { ReplicaAgent, type ReplicaAgentOptions, type AgentOutcome } from './replica-agent.js';
export { resolveModel, modelNameFromFile } from './model-source.js';

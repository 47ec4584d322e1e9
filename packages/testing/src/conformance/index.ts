export {
  replicaProviderConformance,
  type ReplicaProviderHarness,
  type ReplicaProviderConformanceOptions,
} from './replica-provider-conformance.js';
export { InMemoryReplicaProvider } from './in-memory-replica-provider.js';

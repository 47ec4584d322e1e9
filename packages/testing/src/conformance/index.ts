export { replicaProviderConformance, type ReplicaProviderHarness, type ReplicaProviderConformanceOptions } from './replica-provider-conformance.js';

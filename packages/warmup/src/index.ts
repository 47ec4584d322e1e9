export * from './errors/index.js';
export { SeededRandom } from '@warmpool/domain';
export {
  buildTransformerBlock,
  transformerWeightBytes,
  TEST_MODEL_INPUT,
  TEST_MODEL_OUTPUT,
  type TransformerBlockConfig,
} from './models/transformer-block-model.js';
export {
  TEST_MODELS,
  TEST_MODEL_CATALOG,
  DEFAULT_MODELS_DIR,
  ensureTestModel,
  isTestModelName,
  type TestModelEntry,
} from './models/test-model-catalog.js';
export { buildConvNet, CONV_NET_INPUT, CONV_NET_OUTPUT, type ConvNetConfig } from './models/conv-net-model.js';
export { buildFixedDetector, type FixedDetectorConfig } from './models/media-exporter-models.js';
export {
  buildClassifier,
  CLASSIFIER_INPUT,
  CLASSIFIER_OUTPUT,
  type ClassifierConfig,
} from './models/classifier-model.js';
export {
  buildRecurrentState,
  RECURRENT_INPUTS,
  RECURRENT_OUTPUTS,
  type RecurrentStateConfig,
} from './models/recurrent-state-model.js';
export * from './session/session-options.js';
export { ModelSessionFactory, type LoadedSession, type ProviderAttempt } from './session/model-session-factory.js';
export {
  FeedBuilder,
  describeInputs,
  DEFAULT_MAX_BUCKETS,
  type Feeds,
  type ModelInputInfo,
  type InputFill,
  type FeedOptions,
  type DynamicDim,
} from './session/feed-builder.js';
export {
  DIM_ROLES,
  DEFAULT_ROLE_SIZES,
  VALUE_KINDS,
  guessRole,
  type DimRole,
  type ValueKind,
} from './session/input-roles.js';
export { shapeLabel, shapeElements, type InputShape } from './session/input-shape.js';
export { parseFeeds, encodeTensor, MAX_JSON_TENSOR_ELEMENTS, type TensorJson } from './session/tensor-json.js';
export { systemClock, ManualClock, type Clock } from './warmup/clock.js';
export { ConvergenceDetector, type ConvergenceState } from './warmup/convergence-detector.js';
export { KeepWarm, type KeepWarmOptions } from './warmup/keep-warm.js';
export { readGpuMemory, parseNvidiaSmiMemory, type GpuMemorySample } from './warmup/gpu-memory-probe.js';
export { ProcessMemoryProbe, readCgroupLimitBytes, type MemoryProbe } from './warmup/memory-probe.js';
export {
  shapeTargets,
  recordedTargets,
  buildWarmTargets,
  readShapeRecording,
  largestWarmedDims,
  largestWarmedElements,
  type WarmTarget,
  type WarmTargetKind,
} from './warmup/warm-target.js';
export {
  WarmupEngine,
  type InferenceRunner,
  type WarmupReport,
  type WarmupOutcome,
  type ShapeWarmupReport,
  type ConcurrencyReport,
  type MemoryReport,
  type WarmupEngineDeps,
} from './warmup/warmup-engine.js';
export {
  ShapeRecorder,
  dimsOfFeeds,
  shapeKey,
  type RequestDims,
  type RecordedShape,
  type ShapeRecording,
} from './warmup/shape-recorder.js';
export { FileShapeStore, RedisShapeStore, type ShapeStore, type RedisHashClient } from './warmup/shape-store.js';
export { ShapeRecordingSync, type ShapeRecordingSyncOptions } from './warmup/shape-recording-sync.js';
export { roundsUntilConverged, type RoundsOutcome } from './warmup/rounds-until-converged.js';
export {
  parseWarmupSpec,
  loadWarmupSpec,
  WARMUP_SPEC_DEFAULTS,
  WARMUP_SPEC_KEYS,
  type WarmupSpec,
  type OnTimeoutPolicy,
} from './warmup/warmup-spec.js';
export { ConcurrencyLimiter } from './replica/concurrency-limiter.js';
export {
  ModelReplica,
  DEFAULT_INPUT_LIMIT_FACTOR,
  requestPathBudgetMs,
  type ModelReplicaOptions,
  type ReplicaPhase,
  type ReplicaStatus,
  type InferOptions,
} from './replica/model-replica.js';
export { InferenceWorker, type WorkerRunResult, type WorkerLoaded } from './replica/inference-worker.js';
export { missingProviderLibrary, onnxruntimeBindingDir } from './session/provider-libraries.js';
export {
  ModelServer,
  REPLICA_ID_HEADER,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_OUTPUT_BYTES,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type ModelServerOptions,
} from './server/model-server.js';
export {
  warmHttpPath,
  encodeWarmRequests,
  encodeWarmRequest,
  planWarmEncodings,
  WARM_REQUEST_HEADER,
  type HttpWarmOptions,
  type HttpWarmReport,
  type WarmRequest,
} from './server/http-path-warmer.js';
export {
  WARM_ENCODINGS,
  encodingSkipReason,
  formatBodyBytes,
  formatLimitBytes,
  type EncodingWarm,
  type WarmEncoding,
} from './server/warm-encodings.js';
export { parseV2InferRequest, type V2InferRequest } from './server/v2-request.js';
export { v2Datatype } from './server/v2-datatypes.js';
export { ReplicaMetrics, type ReplicaMetricsSource } from './server/replica-metrics.js';

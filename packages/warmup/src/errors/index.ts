export { ModelLoadError, type ModelLoadErrorCode } from './model-load-error.js';
export { ModelShapeError } from './model-shape-error.js';
export { WarmupError, type WarmupErrorCode } from './warmup-error.js';
export { OverloadedError } from './overloaded-error.js';
export { InferenceRequestError, type InferenceRequestErrorCode } from './inference-request-error.js';

export * from './errors/index.js';
export { SeededRandom } from './models/seeded-random.js';
export { buildTransformerBlock, transformerWeightBytes, TEST_MODEL_INPUT, TEST_MODEL_OUTPUT, type TransformerBlockConfig } from './models/transformer-block-model.js';
export { TEST_MODELS, DEFAULT_MODELS_DIR, ensureTestModel, isTestModelName } from './models/test-model-catalog.js';
export * from './session/session-options.js';
export { ModelSessionFactory, type LoadedSession, type ProviderAttempt } from './session/model-session-factory.js';
export { FeedBuilder, describeInputs, type Feeds, type ModelInputInfo } from './session/feed-builder.js';
export { shapeLabel, shapeElements, type InputShape } from './session/input-shape.js';

/**
 * The serving runtime both targets use: configuration, the model lifecycle (load, backoff, refresh,
 * swap), model versions as shared handles, and opening a handle into a recommender in a thread.
 * @module
 */
export { CONFIG_VARIABLES, type Config, loadConfig, MAX_BODY_BYTES_LIMIT } from './config.js';
export {
  emfLine,
  latencyValues,
  METRICS,
  type MetricsTarget,
  type MetricValue,
  modelAgeSeconds,
  modelLine,
  RequestMetrics,
} from './emf.js';
export { handleFromArtifact, type LoadSettings, loadHandle, type ModelHandle } from './model-handle.js';
export { RecommenderCache, routeContext, runtimeFromConfig } from './model-view.js';
export { type OpenSettings, openModel } from './open-model.js';
export {
  createModelRuntime,
  type FailureKind,
  type ModelRuntime,
  type RuntimeOptions,
  type RuntimeStatus,
} from './runtime.js';

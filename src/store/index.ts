/**
 * The model store: where models live (S3, a directory, /opt/ml/model), publishing, and loading with refresh.
 * The only part of src/ that talks to S3.
 * @module
 */
export { type ModelLocation, parseModelUri, resolveModelUri, SAGEMAKER_MODEL_DIR } from './location.js';
export { createModelStore, type ModelStore, type ModelStoreOptions } from './model-store.js';
export { type PublishOptions, type PublishResult, publishModel } from './publish.js';
export { DEFAULT_RETRY, type RetryPolicy } from './retry.js';
export { createS3Client, type S3Settings } from './s3-client.js';
export { DEFAULT_RANGED_GET, type RangedGetOptions } from './s3-source.js';

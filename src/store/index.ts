/**
 * The model store: where models live (S3, a directory, /opt/ml/model), reading and verifying a
 * version, and publishing one. The only part of src/ that talks to S3.
 * @module
 */

export {
  checkDestination,
  checkLocalDestination,
  checkS3Destination,
  type DestinationCheckOptions,
} from './destination-check.js';
export { type DownloadOptions, downloadObject, parseObjectUri } from './download.js';
export {
  type ModelLocation,
  parseModelUri,
  resolveModelUri,
  SAGEMAKER_MODEL_DIR,
  s3Key,
} from './location.js';
export {
  listObjects,
  type ObjectReader,
  readObjectRange,
  STREAM_PART_BYTES,
  type StoredObject,
  streamObject,
} from './objects.js';
export { openArtifactSource, type SourceOptions } from './open.js';
export { type Output, type OutputOptions, openOutput } from './output.js';
export { type PublishOptions, type PublishResult, publishModel } from './publish.js';
export { DEFAULT_RETRY, isTransientError, type RetryPolicy, withRetry } from './retry.js';
export { createS3Client, type S3Settings } from './s3-client.js';
export { DEFAULT_RANGED_GET, type RangedGetOptions, s3Source } from './s3-source.js';
export { type ArtifactSource, localSource, type PointerRead, parsePointer } from './source.js';
export { type FetchedVersion, type FetchOptions, fetchVersion, type UsersPlacement } from './version.js';

/**
 * Opens an artifact root by URI: the one place that picks S3 or a local directory.
 * @module
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { parseModelUri } from './location.js';
import { DEFAULT_RETRY, type RetryPolicy } from './retry.js';
import { createS3Client } from './s3-client.js';
import { DEFAULT_RANGED_GET, type RangedGetOptions, s3Source } from './s3-source.js';
import { type ArtifactSource, localSource } from './source.js';

/** Settings of {@link openArtifactSource}; S3 ones are ignored for a directory. */
export interface SourceOptions {
  /** client for S3 roots; default {@link createS3Client} with `forcePathStyle` */
  s3?: S3Client | undefined;
  forcePathStyle?: boolean | undefined;
  /** our retry around each S3 operation, on top of the SDK's own */
  retry?: Partial<RetryPolicy> | undefined;
  /** whole-file download tuning (S3 only) */
  ranged?: Partial<RangedGetOptions> | undefined;
}

/**
 * The source for `s3://bucket/prefix` or a directory.
 * @throws ConfigInvalidError for a URI that is neither
 * @example
 * const source = openArtifactSource('s3://models/recommender', { forcePathStyle: true });
 * const pointer = await source.readPointer();
 */
export function openArtifactSource(uri: string, options: SourceOptions = {}): ArtifactSource {
  const location = parseModelUri(uri);
  if (location.kind === 'local') return localSource(location);
  const client = options.s3 ?? createS3Client({ forcePathStyle: options.forcePathStyle ?? false });
  return s3Source(
    location,
    client,
    { ...DEFAULT_RETRY, ...options.retry },
    { ...DEFAULT_RANGED_GET, ...options.ranged },
  );
}

/**
 * The one place S3 clients are configured. Region, credentials and endpoint come from the SDK's standard
 * chain (`AWS_REGION`, profiles, `AWS_ENDPOINT_URL`/`AWS_ENDPOINT_URL_S3`); path-style addressing, which
 * the SDK reads from no variable, comes from `AWS_S3_FORCE_PATH_STYLE` through src/config.ts.
 * @module
 */
import { S3Client } from '@aws-sdk/client-s3';

/** Settings for {@link createS3Client}. */
export interface S3Settings {
  forcePathStyle?: boolean;
  /** SDK attempts per request (its standard retry strategy); default 3 */
  maxAttempts?: number;
  /** ms to establish a connection before failing (and retrying); default 5000 */
  connectionTimeoutMs?: number;
  /** ms a socket may sit silent mid-request (an S3 that accepts and never answers); default 30000 */
  socketIdleTimeoutMs?: number;
}

/** An S3 client on the standard credential/region/endpoint chain, with bounded connection timeouts. */
export function createS3Client(settings: S3Settings = {}): S3Client {
  return new S3Client({
    forcePathStyle: settings.forcePathStyle ?? false,
    maxAttempts: settings.maxAttempts ?? 3,
    requestHandler: {
      connectionTimeout: settings.connectionTimeoutMs ?? 5_000,
      // The idle bound: @smithy/node-http-handler's `requestTimeout` is a whole-request timer that only
      // warns (unless throwOnRequestTimeout), and a whole-request bound would cut a large download.
      socketTimeout: settings.socketIdleTimeoutMs ?? 30_000,
    },
  });
}

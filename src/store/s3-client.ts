/**
 * The one place S3 clients are configured. Region, credentials and endpoint come from the SDK's standard
 * chain (`AWS_REGION`, profiles, `AWS_ENDPOINT_URL`/`AWS_ENDPOINT_URL_S3`); path-style addressing, which
 * the SDK reads from no variable, comes from {@link FORCE_PATH_STYLE_ENV}.
 * @module
 */
import { S3Client } from '@aws-sdk/client-s3';
import { ConfigInvalidError } from '../errors.js';

/** `true` makes S3 requests path-style (`endpoint/bucket/key`), as emulators such as moto and MinIO need. */
export const FORCE_PATH_STYLE_ENV = 'AWS_S3_FORCE_PATH_STYLE';

/** Settings for {@link createS3Client}. */
export interface S3Settings {
  forcePathStyle?: boolean;
  /** SDK attempts per request (its standard retry strategy); default 3 */
  maxAttempts?: number;
  /** ms to establish a connection before failing (and retrying); default 5000 */
  connectionTimeoutMs?: number;
  /** ms a socket may sit idle mid-request; default 30000 */
  requestTimeoutMs?: number;
}

/**
 * Reads the S3 settings we own from an environment (call it with `process.env` from the config module).
 * @throws ConfigInvalidError naming the variable when it is neither true/false nor 1/0
 */
export function s3SettingsFromEnv(env: Readonly<Record<string, string | undefined>>): S3Settings {
  const raw = env[FORCE_PATH_STYLE_ENV]?.trim().toLowerCase();
  if (raw === undefined || raw === '' || raw === 'false' || raw === '0') return { forcePathStyle: false };
  if (raw === 'true' || raw === '1') return { forcePathStyle: true };
  throw new ConfigInvalidError(
    `Environment variable ${FORCE_PATH_STYLE_ENV} must be true or false, got "${raw}"`,
  );
}

/** An S3 client on the standard credential/region/endpoint chain, with bounded connection timeouts. */
export function createS3Client(settings: S3Settings = {}): S3Client {
  return new S3Client({
    forcePathStyle: settings.forcePathStyle ?? false,
    maxAttempts: settings.maxAttempts ?? 3,
    requestHandler: {
      connectionTimeout: settings.connectionTimeoutMs ?? 5_000,
      requestTimeout: settings.requestTimeoutMs ?? 30_000,
    },
  });
}

/**
 * Where a model lives: `s3://bucket/prefix`, a local directory, or SageMaker's `/opt/ml/model`.
 * @module
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigInvalidError } from '../core/errors.js';

/** SageMaker unpacks the endpoint's `ModelDataUrl` tarball here. */
export const SAGEMAKER_MODEL_DIR = '/opt/ml/model';

/** A parsed artifact root; `uri` is the normalised form used in logs and messages. */
export type ModelLocation =
  | { kind: 's3'; bucket: string; prefix: string; uri: string }
  | { kind: 'local'; dir: string; uri: string };

/**
 * Parses an artifact root URI. `s3://bucket[/prefix]` is S3; `file://` URLs and plain paths are local
 * directories (relative paths resolve against the working directory).
 * @throws ConfigInvalidError for an empty value, a bucket-less S3 URI or another scheme
 */
export function parseModelUri(uri: string): ModelLocation {
  const value = uri.trim();
  if (value === '') throw new ConfigInvalidError('Model URI is empty');
  if (value.startsWith('s3://')) {
    const rest = value.slice('s3://'.length);
    const slash = rest.indexOf('/');
    const bucket = slash === -1 ? rest : rest.slice(0, slash);
    const prefix = slash === -1 ? '' : rest.slice(slash + 1).replace(/^\/+|\/+$/g, '');
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
      throw new ConfigInvalidError(
        `Model URI ${value} has no valid S3 bucket name (expected s3://bucket/prefix)`,
      );
    }
    return { kind: 's3', bucket, prefix, uri: prefix ? `s3://${bucket}/${prefix}` : `s3://${bucket}` };
  }
  if (value.startsWith('file://')) {
    const dir = fileURLToPath(value);
    return { kind: 'local', dir, uri: dir };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    throw new ConfigInvalidError(
      `Model URI ${value} has an unsupported scheme (use s3://bucket/prefix or a directory)`,
    );
  }
  const dir = isAbsolute(value) ? value : resolve(value);
  return { kind: 'local', dir, uri: dir };
}

/**
 * The model root for a serving process: `MODEL_URI` when set, else SageMaker's `/opt/ml/model` when it exists.
 * @param env - the environment to read (pass `process.env` from the config module)
 * @param exists - file-existence check, replaceable in tests
 * @throws ConfigInvalidError when neither is available
 */
export function resolveModelUri(
  env: Readonly<Record<string, string | undefined>>,
  exists: (path: string) => boolean = existsSync,
): string {
  const fromEnv = env.MODEL_URI?.trim();
  if (fromEnv) return fromEnv;
  if (exists(SAGEMAKER_MODEL_DIR)) return SAGEMAKER_MODEL_DIR;
  throw new ConfigInvalidError(
    `MODEL_URI is not set and ${SAGEMAKER_MODEL_DIR} does not exist: set MODEL_URI to s3://bucket/prefix or a model directory`,
  );
}

/** Joins a key under an S3 prefix. */
export function s3Key(prefix: string, path: string): string {
  return prefix ? `${prefix}/${path}` : path;
}

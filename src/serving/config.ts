/**
 * Every environment variable the services read, in one place: validated with zod once at start,
 * failing fast with a message that names the variable. No other file in src/ reads `process.env`.
 * @module
 */
import { z } from 'zod';
import { ConfigInvalidError } from '../core/errors.js';
import { LOG_LEVELS, type LogLevel } from '../core/log.js';

/** SageMaker refuses invocation payloads above 6 MB, so no target accepts more. */
export const MAX_BODY_BYTES_LIMIT = 6 * 1024 * 1024;

const unset = (value: unknown): unknown => (value === '' ? undefined : value);

const integerText = (min: number, max: number) =>
  z
    .string()
    .regex(/^\s*\d+\s*$/, { error: `must be an integer between ${min} and ${max}` })
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(min, { error: `must be at least ${min}` })
        .max(max, { error: `must be at most ${max}` }),
    );

const integer = (min: number, max: number, fallback: number) =>
  z.preprocess(unset, integerText(min, max).default(fallback));

const optionalInteger = (min: number, max: number) => z.preprocess(unset, integerText(min, max).optional());

const boolean = (fallback: boolean) =>
  z.preprocess(
    (value) => (typeof value === 'string' ? unset(value.trim().toLowerCase()) : value),
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
      .transform((v) => v === 'true' || v === '1' || v === 'yes')
      .default(fallback),
  );

const optionalText = z.preprocess(unset, z.string().trim().min(1).optional());

/** Each variable with its documentation: the one list of what can be configured and its default. */
export const CONFIG_VARIABLES = {
  MODEL_URI: {
    doc: 's3://bucket/prefix, a local directory, or unset to use /opt/ml/model when present',
    schema: optionalText,
  },
  MODEL_VERSION: { doc: 'pin this model version instead of following latest.json', schema: optionalText },
  MODEL_REFRESH_SECONDS: {
    doc: 'poll latest.json this often and swap to a new version (0 = never)',
    schema: integer(0, 86_400, 0),
  },
  MAX_K: { doc: 'largest k a request may ask for', schema: integer(1, 10_000, 100) },
  MAX_BATCH: { doc: 'most requests in one batch', schema: integer(1, 100_000, 1000) },
  MAX_BODY_BYTES: {
    doc: `largest request body accepted, in bytes (at most ${MAX_BODY_BYTES_LIMIT}, SageMaker's limit)`,
    schema: integer(1024, MAX_BODY_BYTES_LIMIT, MAX_BODY_BYTES_LIMIT),
  },
  LOG_LEVEL: {
    doc: `one of ${LOG_LEVELS.join(', ')}`,
    schema: z.preprocess(
      (value) => (typeof value === 'string' ? unset(value.trim().toLowerCase()) : value),
      z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
    ),
  },
  SAGEMAKER_BIND_TO_PORT: {
    doc: 'port set by SageMaker; wins over PORT',
    schema: z.preprocess(unset, integerText(1, 65_535).optional()),
  },
  PORT: {
    doc: 'port of the container server when SAGEMAKER_BIND_TO_PORT is unset',
    schema: integer(1, 65_535, 8080),
  },
  HOST: {
    doc: 'interface the container server binds',
    schema: z.preprocess(unset, z.string().default('0.0.0.0')),
  },
  WORKERS: {
    doc: 'request threads of the container, all sharing one model (0 = one per core; default SAGEMAKER_MODEL_SERVER_WORKERS, else 0)',
    schema: optionalInteger(0, 256),
  },
  SAGEMAKER_MODEL_SERVER_WORKERS: {
    doc: "the SageMaker inference toolkit's worker count: WORKERS when WORKERS is unset",
    schema: optionalInteger(0, 256),
  },
  SHUTDOWN_TIMEOUT_SECONDS: {
    doc: 'how long SIGTERM waits for in-flight requests before cutting them (SageMaker kills at 30 s)',
    schema: integer(1, 25, 20),
  },
  HEADERS_TIMEOUT_SECONDS: {
    doc: 'a client must send its request headers within this time',
    schema: integer(1, 300, 10),
  },
  REQUEST_TIMEOUT_SECONDS: {
    doc: 'a client must send its whole request (headers and body) within this time (default SAGEMAKER_MODEL_SERVER_TIMEOUT, else 30)',
    schema: optionalInteger(1, 3600),
  },
  SAGEMAKER_MODEL_SERVER_TIMEOUT: {
    doc: "the SageMaker inference toolkit's request timeout in seconds: REQUEST_TIMEOUT_SECONDS when that is unset",
    schema: optionalInteger(1, 3600),
  },
  KEEP_ALIVE_TIMEOUT_SECONDS: {
    doc: 'idle keep-alive connections close after this time (above a load balancer idle timeout of 60 s)',
    schema: integer(1, 3600, 65),
  },
  ACCESS_LOG_SAMPLE: {
    doc: 'share of successful requests written to the access log, 0 to 1 (failed and slow requests always are)',
    schema: z.preprocess(
      unset,
      z
        .string()
        .regex(/^\s*(0(\.\d+)?|1(\.0+)?)\s*$/, { error: 'must be a number from 0 to 1' })
        .transform(Number)
        .default(0.01),
    ),
  },
  USER_PRELOAD_MB: {
    doc: 'users.bin up to this many MiB is loaded whole at start; larger ones are read one user block at a time',
    schema: integer(0, 1_048_576, 1024),
  },
  USER_CACHE_MB: {
    doc: 'MiB of user blocks each request thread keeps when users are read on demand (least recently used go)',
    schema: integer(1, 65_536, 64),
  },
  SCORING: {
    doc: "ann: the model's ANN index picks the videos to score exactly (exact when it has none); exact: score every video",
    schema: z.preprocess(
      (value) => (typeof value === 'string' ? unset(value.trim().toLowerCase()) : value),
      z.enum(['ann', 'exact'], { error: 'must be ann or exact' }).default('ann'),
    ),
  },
  ANN_NPROBE: {
    doc: 'lists of the ANN index scanned per request (0 = the number chosen at training for recall@10 >= 0.995)',
    schema: integer(0, 1_000_000, 0),
  },
  MODEL_RETRY_MAX_SECONDS: {
    doc: 'longest wait between failed model loads (the wait doubles from 1 s)',
    schema: integer(1, 3600, 30),
  },
  METRICS_INTERVAL_SECONDS: {
    doc: 'container: each request thread writes its aggregated EMF metrics this often (0 = no metrics)',
    schema: integer(0, 3600, 60),
  },
  POWERTOOLS_METRICS_NAMESPACE: {
    doc: 'CloudWatch namespace of the EMF metrics (both targets)',
    schema: z.preprocess(unset, z.string().trim().min(1).max(255).default('VideoRecommender')),
  },
  POWERTOOLS_SERVICE_NAME: {
    doc: 'the `service` dimension of the EMF metrics (both targets; the deploy scripts set the endpoint or stack name)',
    schema: z.preprocess(unset, z.string().trim().min(1).max(255).default('video-recommender')),
  },
  AWS_S3_FORCE_PATH_STYLE: {
    doc: 'path-style S3 addressing, for emulators such as moto',
    schema: boolean(false),
  },
  AWS_ENDPOINT_URL_S3: { doc: 'S3 endpoint override (emulators)', schema: optionalText },
  AWS_ENDPOINT_URL: { doc: 'endpoint override for every AWS service (emulators)', schema: optionalText },
  AWS_REGION: { doc: 'AWS region for the S3 client', schema: optionalText },
} as const;

/** The validated configuration, camel-cased; every default already applied. */
export interface Config {
  modelUri: string | undefined;
  modelVersion: string | undefined;
  modelRefreshSeconds: number;
  maxK: number;
  maxBatch: number;
  maxBodyBytes: number;
  logLevel: LogLevel;
  port: number;
  host: string;
  workers: number;
  shutdownTimeoutSeconds: number;
  headersTimeoutSeconds: number;
  requestTimeoutSeconds: number;
  keepAliveTimeoutSeconds: number;
  accessLogSample: number;
  userPreloadBytes: number;
  userCacheBytes: number;
  scoring: 'ann' | 'exact';
  annNprobe: number | undefined;
  modelRetryMaxSeconds: number;
  /** container: seconds between metric flushes; 0 = off */
  metricsIntervalSeconds: number;
  metricsNamespace: string;
  metricsService: string;
  s3ForcePathStyle: boolean;
  s3Endpoint: string | undefined;
  awsRegion: string | undefined;
}

const envSchema = z.object(
  Object.fromEntries(Object.entries(CONFIG_VARIABLES).map(([name, spec]) => [name, spec.schema])) as {
    [K in keyof typeof CONFIG_VARIABLES]: (typeof CONFIG_VARIABLES)[K]['schema'];
  },
);

/**
 * Reads and validates the configuration from environment variables.
 * @param env - the environment to read; `process.env` by default
 * @returns the typed configuration
 * @throws ConfigInvalidError naming the first bad variable and the rule it broke
 * @example
 * const config = loadConfig(); // at cold start
 * const config2 = loadConfig({ MAX_K: '50' }); // in a test
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const details = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'environment');
      return `${name} ${issue.message} (got ${JSON.stringify(env[name] ?? null)})`;
    });
    throw new ConfigInvalidError(`Invalid environment variable ${details.join('; ')}`, {
      cause: parsed.error,
    });
  }
  const v = parsed.data;
  return {
    modelUri: v.MODEL_URI,
    modelVersion: v.MODEL_VERSION,
    modelRefreshSeconds: v.MODEL_REFRESH_SECONDS,
    maxK: v.MAX_K,
    maxBatch: v.MAX_BATCH,
    maxBodyBytes: v.MAX_BODY_BYTES,
    logLevel: v.LOG_LEVEL,
    port: v.SAGEMAKER_BIND_TO_PORT ?? v.PORT,
    host: v.HOST,
    workers: v.WORKERS ?? v.SAGEMAKER_MODEL_SERVER_WORKERS ?? 0,
    shutdownTimeoutSeconds: v.SHUTDOWN_TIMEOUT_SECONDS,
    headersTimeoutSeconds: v.HEADERS_TIMEOUT_SECONDS,
    requestTimeoutSeconds: v.REQUEST_TIMEOUT_SECONDS ?? v.SAGEMAKER_MODEL_SERVER_TIMEOUT ?? 30,
    keepAliveTimeoutSeconds: v.KEEP_ALIVE_TIMEOUT_SECONDS,
    accessLogSample: v.ACCESS_LOG_SAMPLE,
    userPreloadBytes: v.USER_PRELOAD_MB * 1024 * 1024,
    userCacheBytes: v.USER_CACHE_MB * 1024 * 1024,
    scoring: v.SCORING,
    annNprobe: v.ANN_NPROBE === 0 ? undefined : v.ANN_NPROBE,
    modelRetryMaxSeconds: v.MODEL_RETRY_MAX_SECONDS,
    metricsIntervalSeconds: v.METRICS_INTERVAL_SECONDS,
    metricsNamespace: v.POWERTOOLS_METRICS_NAMESPACE,
    metricsService: v.POWERTOOLS_SERVICE_NAME,
    s3ForcePathStyle: v.AWS_S3_FORCE_PATH_STYLE,
    s3Endpoint: v.AWS_ENDPOINT_URL_S3 ?? v.AWS_ENDPOINT_URL,
    awsRegion: v.AWS_REGION,
  };
}

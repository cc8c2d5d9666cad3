import { describe, expect, it } from 'vitest';
import { ConfigInvalidError } from '../../src/core/errors.js';
import { loadConfig } from '../../src/serving/config.js';

describe('Function: loadConfig', () => {
  it('applies every default to an empty environment', () => {
    expect(loadConfig({})).toEqual({
      modelUri: undefined,
      modelVersion: undefined,
      modelRefreshSeconds: 0,
      maxK: 100,
      maxBatch: 1000,
      maxBodyBytes: 6 * 1024 * 1024,
      logLevel: 'info',
      port: 8080,
      host: '0.0.0.0',
      workers: 0,
      shutdownTimeoutSeconds: 20,
      headersTimeoutSeconds: 10,
      requestTimeoutSeconds: 30,
      keepAliveTimeoutSeconds: 65,
      accessLogSample: 0.01,
      userPreloadBytes: 1024 * 1024 * 1024,
      userCacheBytes: 64 * 1024 * 1024,
      scoring: 'ann',
      annNprobe: undefined,
      modelRetryMaxSeconds: 30,
      metricsIntervalSeconds: 60,
      metricsNamespace: 'VideoRecommender',
      metricsService: 'video-recommender',
      s3ForcePathStyle: false,
      s3Endpoint: undefined,
      awsRegion: undefined,
    });
  });

  it('reads every variable', () => {
    expect(
      loadConfig({
        MODEL_URI: 's3://bucket/models',
        MODEL_VERSION: '20250101T102000Z-1a2b3c4d',
        MODEL_REFRESH_SECONDS: '60',
        MAX_K: '50',
        MAX_BATCH: '10',
        MAX_BODY_BYTES: '1048576',
        LOG_LEVEL: 'DEBUG',
        PORT: '3000',
        HOST: '127.0.0.1',
        WORKERS: '2',
        SHUTDOWN_TIMEOUT_SECONDS: '10',
        HEADERS_TIMEOUT_SECONDS: '5',
        REQUEST_TIMEOUT_SECONDS: '15',
        KEEP_ALIVE_TIMEOUT_SECONDS: '30',
        ACCESS_LOG_SAMPLE: '0.25',
        USER_PRELOAD_MB: '0',
        USER_CACHE_MB: '8',
        SCORING: 'EXACT',
        ANN_NPROBE: '12',
        MODEL_RETRY_MAX_SECONDS: '5',
        METRICS_INTERVAL_SECONDS: '0',
        POWERTOOLS_METRICS_NAMESPACE: 'Recs',
        POWERTOOLS_SERVICE_NAME: 'recs-prod',
        AWS_S3_FORCE_PATH_STYLE: 'true',
        AWS_ENDPOINT_URL: 'http://127.0.0.1:5000',
        AWS_REGION: 'eu-west-1',
      }),
    ).toEqual({
      modelUri: 's3://bucket/models',
      modelVersion: '20250101T102000Z-1a2b3c4d',
      modelRefreshSeconds: 60,
      maxK: 50,
      maxBatch: 10,
      maxBodyBytes: 1048576,
      logLevel: 'debug',
      port: 3000,
      host: '127.0.0.1',
      workers: 2,
      shutdownTimeoutSeconds: 10,
      headersTimeoutSeconds: 5,
      requestTimeoutSeconds: 15,
      keepAliveTimeoutSeconds: 30,
      accessLogSample: 0.25,
      userPreloadBytes: 0,
      userCacheBytes: 8 * 1024 * 1024,
      scoring: 'exact',
      annNprobe: 12,
      modelRetryMaxSeconds: 5,
      metricsIntervalSeconds: 0,
      metricsNamespace: 'Recs',
      metricsService: 'recs-prod',
      s3ForcePathStyle: true,
      s3Endpoint: 'http://127.0.0.1:5000',
      awsRegion: 'eu-west-1',
    });
  });

  it('prefers SAGEMAKER_BIND_TO_PORT over PORT and the S3 endpoint over the generic one', () => {
    const config = loadConfig({
      SAGEMAKER_BIND_TO_PORT: '9090',
      PORT: '3000',
      AWS_ENDPOINT_URL_S3: 'http://s3.local',
      AWS_ENDPOINT_URL: 'http://all.local',
    });
    expect({ port: config.port, s3Endpoint: config.s3Endpoint }).toEqual({
      port: 9090,
      s3Endpoint: 'http://s3.local',
    });
  });

  it("honours the SageMaker inference toolkit's worker count and timeout unless ours are set", () => {
    const toolkit = { SAGEMAKER_MODEL_SERVER_WORKERS: '3', SAGEMAKER_MODEL_SERVER_TIMEOUT: '120' };
    const pick = (c: ReturnType<typeof loadConfig>) => ({
      workers: c.workers,
      requestTimeoutSeconds: c.requestTimeoutSeconds,
    });
    expect(pick(loadConfig(toolkit))).toEqual({ workers: 3, requestTimeoutSeconds: 120 });
    expect(pick(loadConfig({ ...toolkit, WORKERS: '1', REQUEST_TIMEOUT_SECONDS: '15' }))).toEqual({
      workers: 1,
      requestTimeoutSeconds: 15,
    });
    expect(() => loadConfig({ SAGEMAKER_MODEL_SERVER_WORKERS: 'many' })).toThrow(
      'Invalid environment variable SAGEMAKER_MODEL_SERVER_WORKERS must be an integer between 0 and 256 (got "many")',
    );
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ MAX_K: '', MODEL_URI: '' })).toMatchObject({ maxK: 100, modelUri: undefined });
  });

  it('fails fast naming the variable, the rule and the value', () => {
    const cases: [Record<string, string>, string][] = [
      [
        { MAX_K: 'abc' },
        'Invalid environment variable MAX_K must be an integer between 1 and 10000 (got "abc")',
      ],
      [{ MAX_K: '0' }, 'Invalid environment variable MAX_K must be at least 1 (got "0")'],
      [
        { SAGEMAKER_BIND_TO_PORT: '70000' },
        'Invalid environment variable SAGEMAKER_BIND_TO_PORT must be at most 65535 (got "70000")',
      ],
      [
        { MAX_BODY_BYTES: '7000000' },
        'Invalid environment variable MAX_BODY_BYTES must be at most 6291456 (got "7000000")',
      ],
      [
        { LOG_LEVEL: 'loud' },
        'Invalid environment variable LOG_LEVEL must be one of trace, debug, info, warn, error, silent (got "loud")',
      ],
      [
        { AWS_S3_FORCE_PATH_STYLE: 'maybe' },
        'Invalid environment variable AWS_S3_FORCE_PATH_STYLE must be true or false (got "maybe")',
      ],
      [
        { ACCESS_LOG_SAMPLE: '1.5' },
        'Invalid environment variable ACCESS_LOG_SAMPLE must be a number from 0 to 1 (got "1.5")',
      ],
      [{ SCORING: 'fast' }, 'Invalid environment variable SCORING must be ann or exact (got "fast")'],
    ];
    for (const [env, message] of cases) {
      expect(() => loadConfig(env)).toThrow(new ConfigInvalidError(message));
    }
  });
});

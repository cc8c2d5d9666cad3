/**
 * The model of this Lambda execution environment, through the same runtime as the container
 * (src/serving): the item side is loaded during init (top-level await, so the download happens in the
 * init phase), users are read on demand (USER_PRELOAD_MB) into a cache that lives as long as the
 * environment. Timers do not run while Lambda freezes an environment, so requests drive the runtime:
 * a failed load is retried by the first request after its backoff (one attempt at a time; requests
 * meanwhile get an immediate 503 that says why), and with MODEL_REFRESH_SECONDS a request after that
 * interval starts a check of `latest.json` without waiting for it.
 * @module
 */
import { ModelNotLoadedError } from '../src/core/errors.js';
import type { Recommender } from '../src/recommender/index.js';
import { RecommenderCache, runtimeFromConfig } from '../src/serving/index.js';
import { createS3Client } from '../src/store/index.js';
import { asLog, config } from './environment.js';

const log = asLog();

/**
 * The S3 client of this environment. Its reads happen inside an invocation (a load after a failure, a
 * user block on demand), so each is bounded well inside the function timeout (serverless.yml: 10 s): two
 * SDK attempts, 1 s to connect, and 2 s of silence on an open socket (an S3 that accepts and never
 * answers); a large download that keeps receiving bytes is not cut. The runtime's backoff, not the
 * client, does the retrying.
 */
const s3 = createS3Client({
  forcePathStyle: config.s3ForcePathStyle,
  maxAttempts: 2,
  connectionTimeoutMs: 1000,
  socketIdleTimeoutMs: 2000,
});
const source = { s3, retry: { attempts: 1 } };

// Without MODEL_URI the runtime would fall back to SageMaker's /opt/ml/model, which never exists here.
const runtime =
  config.modelUri === undefined
    ? undefined
    : runtimeFromConfig(config, { log, drive: 'requests', slots: 1, uriFallback: false, source });
const missingUri = new ModelNotLoadedError(
  'MODEL_URI is not set: set it to s3://bucket/prefix (serverless.yml param modelUri) or a model directory',
  { expose: true },
);
// User blocks read on demand go through the same bounded client.
const cache = new RecommenderCache(config, 0, source);

/**
 * The current recommender, or the ModelNotLoadedError to answer (503): loading, failed and waiting
 * for its next attempt, or not configured. Starts what is due first (a retry, a refresh).
 */
export async function currentRecommender(): Promise<Recommender | ModelNotLoadedError> {
  if (!runtime) return missingUri;
  await runtime.tick();
  const handle = runtime.handle();
  if (!handle) return runtime.unavailable();
  cache.retain([handle.version]);
  return cache.get(handle);
}

// Init-phase load: one attempt; a failure is logged and retried by a request after its backoff.
if (runtime) {
  await runtime.start();
  // Opened here, so the first request does not pay for it.
  const loaded = runtime.handle();
  if (loaded) cache.get(loaded);
} else log.error('model_load_failed', { error: missingUri.message });

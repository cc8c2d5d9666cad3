/**
 * The model of this Lambda execution environment: loaded during init (top-level await, so the download
 * happens in the init phase, before the first request), then reused by every invocation. A failed load
 * does not fail init: requests answer 503 (the reason is logged) and each one retries the load until it
 * succeeds.
 * @module
 */
import { ConfigInvalidError } from '../src/core/errors.js';
import { createRecommender, type Recommender } from '../src/recommender/recommender.js';
import { createModelStore, type ModelStore } from '../src/store/model-store.js';
import { config, logger } from './logger.js';

// Without it the store would fall back to SageMaker's /opt/ml/model, which never exists on Lambda, and
// log a missing-file error that hides the real cause.
const missingUri =
  config.modelUri === undefined
    ? new ConfigInvalidError(
        'MODEL_URI is not set: set it to s3://bucket/prefix (serverless.yml param modelUri) or a model directory',
      )
    : undefined;

const store: ModelStore<Recommender> | undefined =
  config.modelUri === undefined
    ? undefined
    : createModelStore<Recommender>({
        uri: config.modelUri,
        ...(config.modelVersion !== undefined && { version: config.modelVersion }),
        forcePathStyle: config.s3ForcePathStyle,
        // Fold-in's YᵀY waits for the first fold-in request: most functions never fold in, and the rest
        // should not pay for it in every cold start.
        prepare: (loaded) =>
          createRecommender(loaded, {
            maxK: config.maxK,
            maxBatch: config.maxBatch,
            precomputeFoldIn: false,
          }),
        log: ({ event, ...fields }) => {
          const message = String(event);
          if (message.endsWith('_failed')) logger.error(message, fields);
          else logger.info(message, fields);
        },
      });

let lastCheck = performance.now();
let refreshing: Promise<boolean> | undefined;

/**
 * The refresh a request started, if one is still running: for tests, which wait for the swap it lands.
 * @returns the store's refresh promise (never rejects), or undefined when none is running
 */
export function pendingRefresh(): Promise<boolean> | undefined {
  return refreshing;
}

/**
 * The loaded recommender, loading it first when init could not (or a previous request failed to).
 * Undefined when loading fails again: the service then answers 503 MODEL_NOT_LOADED, the same body as
 * the container, and the reason goes to the log. With MODEL_REFRESH_SECONDS set, a request arriving that
 * long after the last check starts a check of `latest.json` (a conditional GET, then the download of a
 * new version) and is answered by the current model: a timer would not fire while Lambda freezes the
 * environment between requests, and awaiting the download would add it to this request's latency. The
 * swap lands on a later invocation (the work continues whenever the environment runs; a failure is
 * logged by the store and retried after the next interval).
 */
export async function recommender(): Promise<Recommender | undefined> {
  if (!store) {
    logger.error('model_load_failed', { error: missingUri?.message });
    return undefined;
  }
  const current = store.current();
  if (current) {
    if (
      config.modelRefreshSeconds > 0 &&
      refreshing === undefined &&
      performance.now() - lastCheck >= config.modelRefreshSeconds * 1000
    ) {
      lastCheck = performance.now();
      // Never rejects; on failure the store logs it and keeps serving the current model.
      refreshing = store.refreshNow().finally(() => {
        refreshing = undefined;
        lastCheck = performance.now();
      });
    }
    return current;
  }
  try {
    return await store.load();
  } catch {
    // The store has already logged model_load_failed with the URI and the reason.
    return undefined;
  }
}

// Init-phase load. A failure is logged by the store and retried by the first request.
if (store) await store.load().catch(() => undefined);
else logger.error('model_load_failed', { error: missingUri?.message });

/**
 * The model of this Lambda execution environment: loaded during init (top-level await, so the download
 * happens in the init phase, before the first request), then reused by every invocation. A failed load
 * does not fail init: requests answer 503 (the reason is logged) and each one retries the load until it
 * succeeds.
 * @module
 */
import { createRecommender, type Recommender } from '../src/recommender.js';
import { createModelStore } from '../src/store/model-store.js';
import { config, logger } from './logger.js';

const store = createModelStore<Recommender>({
  uri: config.modelUri,
  ...(config.modelVersion !== undefined && { version: config.modelVersion }),
  forcePathStyle: config.s3ForcePathStyle,
  prepare: (loaded) => createRecommender(loaded, { maxK: config.maxK, maxBatch: config.maxBatch }),
  log: ({ event, ...fields }) => {
    const message = String(event);
    if (message.endsWith('_failed')) logger.error(message, fields);
    else logger.info(message, fields);
  },
});

let lastCheck = performance.now();

/**
 * The loaded recommender, loading it first when init could not (or a previous request failed to).
 * Undefined when loading fails again: the service then answers 503 MODEL_NOT_LOADED, the same body as
 * the container, and the reason goes to the log. With MODEL_REFRESH_SECONDS set, a request arriving that
 * long after the last check first asks whether `latest.json` moved (a conditional GET) and swaps models:
 * a timer would not fire while Lambda freezes the environment between requests.
 */
export async function recommender(): Promise<Recommender | undefined> {
  const current = store.current();
  if (current) {
    if (
      config.modelRefreshSeconds > 0 &&
      performance.now() - lastCheck >= config.modelRefreshSeconds * 1000
    ) {
      lastCheck = performance.now();
      // Never rejects; on failure the store logs it and keeps serving the current model.
      await store.refreshNow();
      return store.current();
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
await store.load().catch(() => undefined);

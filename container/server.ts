/**
 * One serving process: listens at once (so /ping answers 503 within SageMaker's 2 s while the model
 * loads), loads the model in the background with retries, optionally follows new versions, and
 * closes gracefully (in-flight requests finish, idle keep-alive sockets close).
 * @module
 */
import type { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { createRecommender, type Recommender } from '../src/recommender/recommender.js';
import type { Config } from '../src/serving/config.js';
import { createModelStore, type ModelStore } from '../src/store/index.js';
import { createApp } from './app.js';

/** A listening server and its model store. */
export interface RunningServer {
  app: FastifyInstance;
  store: ModelStore<Recommender>;
  /** `http://host:port` it listens on (port resolved when 0 was asked) */
  url: string;
  /** Resolves when the first model is loaded (never rejects; failures are logged and retried). */
  ready: Promise<void>;
  /** Stops refresh and retries, waits for in-flight requests, closes the socket. */
  close(): Promise<void>;
}

/** Options of {@link startServer} beyond the config. */
export interface StartOptions {
  logStream?: Writable;
  /** first and longest wait between failed loads, ms (default 1000 and 30000) */
  retryMs?: { first: number; max: number };
}

/**
 * Starts one server process from a validated config.
 * @example
 * const server = await startServer(loadConfig());
 * process.once('SIGTERM', () => server.close());
 */
export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  let store: ModelStore<Recommender> | undefined;
  const app = await createApp({
    provider: { current: () => store?.current() },
    config,
    ...(options.logStream ? { logStream: options.logStream } : {}),
  });
  store = createModelStore({
    ...(config.modelUri ? { uri: config.modelUri } : {}),
    ...(config.modelVersion ? { version: config.modelVersion } : {}),
    refreshSeconds: config.modelRefreshSeconds,
    forcePathStyle: config.s3ForcePathStyle,
    prepare: (loaded) => createRecommender(loaded, { maxK: config.maxK, maxBatch: config.maxBatch }),
    log: (event) => {
      const level = String(event.event).endsWith('failed') ? 'error' : 'info';
      app.log[level](event, String(event.event));
    },
  });
  const modelStore = store;
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;

  let closed = false;
  let wake: (() => void) | undefined;
  const retry = options.retryMs ?? { first: 1000, max: 30_000 };
  const ready = (async () => {
    for (let wait = retry.first; !closed; wait = Math.min(wait * 2, retry.max)) {
      try {
        await modelStore.load();
        if (!closed) modelStore.startRefresh();
        return;
      } catch {
        // The store logged the failure (model_load_failed); /ping stays 503 until a retry succeeds.
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, wait).unref();
        });
      }
    }
  })();

  return {
    app,
    store: modelStore,
    url,
    ready,
    async close() {
      closed = true;
      wake?.();
      modelStore.stop();
      await app.close();
    },
  };
}

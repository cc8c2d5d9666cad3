/**
 * A request thread: opens every model version the supervisor hands it (views over shared memory, no
 * copy), listens on the shared port (SO_REUSEPORT: the kernel spreads connections over the threads)
 * only once it holds the active version, and answers each request from the version the control word
 * names at that moment, so all threads switch together. On shutdown it drains and exits.
 * @module
 */
import type { Server } from 'node:http';
import { parentPort } from 'node:worker_threads';
import { ROUTES } from '../src/api/index.js';
import { ModelNotLoadedError } from '../src/core/errors.js';
import { errorFields } from '../src/core/log.js';
import { handleRequest, Router } from '../src/http/index.js';
import { type Config, type ModelHandle, RecommenderCache, routeContext } from '../src/serving/index.js';
import { docsSite } from './docs.js';
import { createHttpServer } from './http-server.js';
import { createLogger, pinoLog, threadLogDestination } from './log.js';
import { ACTIVE, type FromThread, heartbeatWord, type ThreadData, type ToThread } from './protocol.js';

const post = (message: FromThread): void => parentPort?.postMessage(message);

/** Listens on the shared port; every request thread's socket sets SO_REUSEPORT (Node 22.12+). */
function listen(server: Server, config: Pick<Config, 'port' | 'host'>, done: (error?: Error) => void): void {
  const onError = (error: Error): void => done(error);
  server.once('error', onError);
  server.listen({ port: config.port, host: config.host, reusePort: true }, () => {
    server.off('error', onError);
    done();
  });
}

/** Runs one request thread until the supervisor shuts it down. */
export function runThread(data: ThreadData): void {
  const { config, slot } = data;
  const control = new Int32Array(data.control);
  const destination = threadLogDestination();
  const log = pinoLog(createLogger(config.logLevel, destination)).child({ thread: slot });
  const cache = new RecommenderCache(config, slot);
  const handles = new Map<number, ModelHandle>();
  const open = (generation: number, handle: ModelHandle): void => {
    try {
      cache.get(handle);
      handles.set(generation, handle);
      post({ type: 'opened', generation });
    } catch (error) {
      post({ type: 'open-failed', generation, message: errorFields(error).message as string });
    }
  };
  for (const model of data.models) open(model.generation, model.handle);

  const ctx = routeContext(config, log, () => {
    const handle = handles.get(Atomics.load(control, ACTIVE));
    // Threads listen only once they hold the active version, so this is a guard, not a state clients see.
    return handle
      ? cache.get(handle)
      : new ModelNotLoadedError('No model is active in this thread yet', { expose: true });
  });
  const router = new Router(ROUTES.filter((r) => r.targets.includes('container')));
  const http = createHttpServer({
    config,
    log,
    handle: (request, requestLog) => handleRequest(ctx, router, request, requestLog),
    docs: docsSite({ maxK: config.maxK, maxBatch: config.maxBatch }),
  });
  const beat = setInterval(() => Atomics.add(control, heartbeatWord(slot), 1), 500);

  parentPort?.on('message', (message: ToThread) => {
    switch (message.type) {
      case 'open':
        open(message.generation, message.handle);
        break;
      case 'listen':
        listen(http.server, config, (error) =>
          post(error ? { type: 'listen-failed', message: error.message } : { type: 'listening' }),
        );
        break;
      case 'retain': {
        for (const generation of [...handles.keys()])
          if (!message.generations.includes(generation)) handles.delete(generation);
        cache.retain([...handles.values()].map((h) => h.version));
        break;
      }
      case 'shutdown':
        clearInterval(beat);
        void http.drain(message.deadline).finally(() => {
          destination.flush();
          parentPort?.close();
        });
        break;
    }
  });
}

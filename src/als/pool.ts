/**
 * A small pool of worker threads that run ALS phases over shared factor arrays, with the main
 * thread taking chunks too (so `threads` counts the main thread).
 * @module
 */

import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { RecommenderError } from '../core/errors.js';
import { type AlsState, createThreadContext, type Phase, runChunks, type ThreadContext } from './state.js';

interface Reply {
  ok: boolean;
  message?: string;
}

/**
 * Starts one worker. From compiled JavaScript the entry is the sibling worker.js. From TypeScript
 * source (tsx, vitest) it is worker.ts behind a tiny bootstrap that registers tsx's loader first:
 * Node 20 workers inherit neither the parent's loader hooks nor (reliably) `--import` flags.
 */
function spawnWorker(state: AlsState, index: number): Worker {
  const options = { workerData: { state, index }, execArgv: [] as string[] };
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./worker.js', import.meta.url), options);
  const entry = new URL('./worker.ts', import.meta.url).href;
  // The ESM build of the API: its CommonJS twin resolves its own files wrongly when registered from a worker.
  const tsxApiCjs = createRequire(import.meta.url).resolve('tsx/esm/api');
  const tsxApi = pathToFileURL(tsxApiCjs.replace(/\.cjs$/, '.mjs')).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)})
    .then((api) => api.register())
    .then(() => import(${JSON.stringify(entry)}));`;
  return new Worker(bootstrap, { ...options, eval: true });
}

/** Runs phases on `threads − 1` workers plus the calling thread. */
export class AlsPool {
  private readonly context: ThreadContext;
  private constructor(
    private readonly state: AlsState,
    private readonly workers: Worker[],
  ) {
    this.context = createThreadContext(state, 0);
  }

  /** Starts `threads − 1` workers sharing `state` (whose arrays must be SharedArrayBuffer views when threads > 1). */
  static async start(state: AlsState, threads: number): Promise<AlsPool> {
    const workers: Worker[] = [];
    if (threads > 1) {
      for (let t = 1; t < threads; t++) workers.push(spawnWorker(state, t));
      await Promise.all(
        workers.map(
          (w) =>
            new Promise<void>((resolve, reject) => {
              w.once('online', () => resolve());
              w.once('error', reject);
            }),
        ),
      );
    }
    return new AlsPool(state, workers);
  }

  /** Runs one phase to completion on every thread. */
  async run(phase: Phase): Promise<void> {
    Atomics.store(this.state.control, 0, 0);
    const replies = this.workers.map(
      (w) =>
        new Promise<void>((resolve, reject) => {
          const onError = (error: Error): void => reject(error);
          w.once('error', onError);
          w.once('message', (reply: Reply) => {
            w.off('error', onError);
            if (reply.ok) resolve();
            else
              reject(
                new RecommenderError('INTERNAL', `ALS worker failed: ${reply.message ?? 'unknown error'}`),
              );
          });
          w.postMessage(phase);
        }),
    );
    runChunks(this.state, phase, this.context);
    await Promise.all(replies);
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

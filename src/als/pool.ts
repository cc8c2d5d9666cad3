/**
 * A small pool of worker threads that run ALS phases over shared factor arrays, with the main
 * thread taking chunks too (so `threads` counts the main thread). Phases are handed out and
 * collected through the shared control words with Atomics.wait/notify, not messages: a phase of a
 * small data set lasts a few milliseconds, and a message round trip through both event loops cost a
 * sizeable share of that.
 * @module
 */

import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { RecommenderError } from '../core/errors.js';
import {
  type AlsState,
  Control,
  createThreadContext,
  type Phase,
  runChunks,
  STOP_PHASE,
  type ThreadContext,
} from './state.js';

/** What a worker receives once. */
export interface WorkerData {
  state: AlsState;
  index: number;
  /** Where the worker posts the message of an error before it counts its phase as done. */
  errors: MessagePort;
}

/** How long the main thread blocks at a time before it lets the event loop notice a dead worker. */
const WAIT_SLICE_MS = 50;

/**
 * Starts one worker. From compiled JavaScript the entry is the sibling worker.js. From TypeScript
 * source (tsx, vitest) it is worker.ts behind a tiny bootstrap that registers tsx's loader first:
 * Node 20 workers inherit neither the parent's loader hooks nor (reliably) `--import` flags.
 */
function spawnWorker(data: WorkerData): Worker {
  const options = { workerData: data, transferList: [data.errors], execArgv: [] as string[] };
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

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Runs phases on `threads − 1` workers plus the calling thread. */
export class AlsPool {
  private readonly context: ThreadContext;
  /** Why a worker stopped (exit or uncaught error) outside a phase's own error reporting. */
  private dead: string | null = null;

  private constructor(
    private readonly state: AlsState,
    private readonly workers: Worker[],
    private readonly errors: MessagePort[],
  ) {
    this.context = createThreadContext(state, 0);
    for (const w of workers) {
      w.on('error', (error) => {
        this.dead ??= error.message;
      });
      w.on('exit', (code) => {
        this.dead ??= `exited with code ${code}`;
      });
    }
  }

  /** Starts `threads − 1` workers sharing `state` (whose arrays must be SharedArrayBuffer views when threads > 1). */
  static async start(state: AlsState, threads: number): Promise<AlsPool> {
    const workers: Worker[] = [];
    const errors: MessagePort[] = [];
    Atomics.store(state.control, Control.epoch, 0);
    for (let t = 1; t < threads; t++) {
      const channel = new MessageChannel();
      errors.push(channel.port1);
      workers.push(spawnWorker({ state, index: t, errors: channel.port2 }));
    }
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            w.once('online', () => resolve());
            w.once('error', reject);
          }),
      ),
    );
    return new AlsPool(state, workers, errors);
  }

  /** Runs one phase to completion on every thread; rejects with the first thread's error. */
  async run(phase: Phase): Promise<void> {
    const control = this.state.control;
    Atomics.store(control, Control.next, 0);
    Atomics.store(control, Control.done, 0);
    Atomics.store(control, Control.failed, 0);
    this.release(phase);
    let failure: unknown = null;
    try {
      runChunks(this.state, phase, this.context);
    } catch (error) {
      // Take no more chunks; the workers finish theirs before the error goes up.
      Atomics.store(control, Control.next, 1 << 30);
      failure = error;
    }
    await this.collect();
    if (failure) throw failure;
    if (Atomics.load(control, Control.failed) !== 0) {
      const messages = this.errors.map((port) => receiveMessageOnPort(port)?.message).filter(Boolean);
      throw new RecommenderError('INTERNAL', `ALS worker failed: ${messages.join('; ') || 'unknown error'}`);
    }
  }

  /** Stops the workers: they leave their loop at the stop phase and exit. */
  async close(): Promise<void> {
    const exits = this.workers.map((w) => new Promise<void>((resolve) => w.once('exit', () => resolve())));
    this.release(STOP_PHASE);
    await Promise.all(exits);
    for (const port of this.errors) port.close();
  }

  /** Publishes `phase` and wakes every worker. */
  private release(phase: number): void {
    if (this.workers.length === 0) return;
    const control = this.state.control;
    Atomics.store(control, Control.phase, phase);
    Atomics.add(control, Control.epoch, 1);
    Atomics.notify(control, Control.epoch);
  }

  /** Blocks until every worker has counted the phase done, yielding now and then to notice a dead one. */
  private async collect(): Promise<void> {
    const control = this.state.control;
    const expected = this.workers.length;
    for (;;) {
      const done = Atomics.load(control, Control.done);
      if (done >= expected) return;
      if (Atomics.wait(control, Control.done, done, WAIT_SLICE_MS) === 'timed-out') {
        await yieldToEventLoop();
        if (this.dead) throw new RecommenderError('INTERNAL', `ALS worker failed: ${this.dead}`);
      }
    }
  }
}

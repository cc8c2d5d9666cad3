/**
 * The supervisor: the container's main thread. It owns the model (one loader, one version at a time
 * for every thread), starts the request threads, and keeps them serving:
 *
 * - Until the first model is loaded it answers every request itself with a 503 that says why (it
 *   binds the port exclusively, so a port already in use is a fatal error at once).
 * - With the model loaded it starts the threads, waits until each has opened it, closes its own
 *   listener and lets the threads listen: no thread takes a request before the model is there, and
 *   no 503 follows the first 200.
 * - A new version is opened by every thread first; then one atomic store makes it active for all.
 * - A thread that dies (or stops beating for WATCHDOG_MS) is replaced with backoff; only requests in
 *   flight on it fail. If every thread keeps failing before it ever listens, the process exits 1.
 * - SIGTERM drains every thread and exits 0 within SHUTDOWN_TIMEOUT_SECONDS.
 * @module
 */
import { Worker } from 'node:worker_threads';
import { errorFields, type Log } from '../src/core/log.js';
import { errorResponse } from '../src/http/index.js';
import { type Config, type ModelHandle, type ModelRuntime, runtimeFromConfig } from '../src/serving/index.js';
import { createHttpServer, type HttpServer } from './http-server.js';
import { ACTIVE, type FromThread, heartbeatWord, type ThreadData, type ToThread } from './protocol.js';

/** A thread that has not beaten for this long is stuck and is replaced. */
const WATCHDOG_MS = 60_000;
/** Consecutive failed starts of every thread before the process gives up. */
const MAX_FAILED_STARTS = 5;

/** Raised for conditions that end the process with exit code 1 and one line. */
export class FatalError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'FatalError';
  }
}

interface Thread {
  slot: number;
  worker: Worker;
  opened: Set<number>;
  listening: boolean;
  /** consecutive deaths before listening */
  failedStarts: number;
  lastBeat: number;
  lastBeatAt: number;
}

/** What {@link startSupervisor} returns: for the entry point and tests. */
export interface Supervisor {
  runtime: ModelRuntime;
  threads(): readonly { slot: number; threadId: number; listening: boolean }[];
  /** Terminates one request thread abruptly, as a crash would (tests and chaos drills). */
  kill(slot: number): Promise<void>;
  shutdown(reason: string): Promise<void>;
  /** Settles with the exit code once the supervisor has stopped. */
  done: Promise<number>;
}

/** Options beyond the config. */
export interface SupervisorOptions {
  threads: number;
  log: Log;
  /** the module request threads run (this bundle or container/main.ts) */
  entry: URL;
  /** writes a batch of log lines from a thread */
  writeLines(text: string): void;
  workerExecArgv?: string[];
}

function placeholderServer(config: Config, runtime: ModelRuntime, log: Log): HttpServer {
  return createHttpServer({
    config,
    log,
    // Connection: close, so clients reconnect to a request thread once the model is there.
    handle: async () => {
      const response = errorResponse(runtime.unavailable());
      response.headers.connection = 'close';
      return response;
    },
  });
}

function listenExclusive(http: HttpServer, config: Config): Promise<void> {
  return new Promise((resolve, reject) => {
    http.server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new FatalError(`cannot listen on ${config.host}:${config.port}: ${error.code ?? error.message}`),
      ),
    );
    http.server.listen({ port: config.port, host: config.host }, () => resolve());
  });
}

/**
 * Starts serving: the runtime, the 503 listener, and (once a model is there) the request threads.
 * @throws FatalError when the port cannot be bound; ConfigInvalidError for a bad MODEL_URI or MODEL_VERSION
 */
export async function startSupervisor(config: Config, options: SupervisorOptions): Promise<Supervisor> {
  const { log } = options;
  const runtime = runtimeFromConfig(config, { log, drive: 'timers', slots: options.threads });
  const control = new SharedArrayBuffer(4 * (1 + options.threads));
  const words = new Int32Array(control);
  let placeholder: HttpServer | undefined = placeholderServer(config, runtime, log);
  await listenExclusive(placeholder, config);
  log.info('listening', { port: config.port, threads: options.threads, state: 'loading model' });

  const threads = new Map<number, Thread>();
  const models = new Map<number, ModelHandle>();
  let generation = 0;
  let active = 0;
  let stopping = false;
  let exitCode = 0;
  let finish: () => void = () => {};
  const done = new Promise<number>((resolve) => {
    finish = () => resolve(exitCode);
  });
  const waiters: { generation: number; resolve: () => void }[] = [];

  const send = (thread: Thread, message: ToThread): void => thread.worker.postMessage(message);
  const allOpened = (gen: number): boolean => [...threads.values()].every((t) => t.opened.has(gen));
  const settleWaiters = (): void => {
    for (const w of [...waiters]) {
      if (allOpened(w.generation)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };

  const fatal = (message: string): void => {
    log.error('fatal', { reason: message });
    exitCode = 1;
    void shutdown('fatal');
  };

  const onMessage = (thread: Thread, message: FromThread): void => {
    switch (message.type) {
      case 'log':
        options.writeLines(message.text);
        return;
      case 'opened':
        thread.opened.add(message.generation);
        if (message.generation === active && !placeholder && !thread.listening)
          send(thread, { type: 'listen' });
        settleWaiters();
        return;
      case 'open-failed':
        log.error('thread_open_failed', {
          slot: thread.slot,
          generation: message.generation,
          error: message.message,
        });
        void thread.worker.terminate();
        return;
      case 'listening':
        thread.listening = true;
        thread.failedStarts = 0;
        return;
      case 'listen-failed':
        fatal(
          `request thread ${thread.slot} cannot listen on ${config.host}:${config.port}: ${message.message}`,
        );
        return;
    }
  };

  const spawn = (slot: number, failedStarts: number): void => {
    const data: ThreadData = {
      slot,
      config,
      control,
      models: [...models]
        .filter(([gen]) => gen >= active)
        .map(([gen, handle]) => ({ generation: gen, handle })),
    };
    const worker = new Worker(options.entry, {
      workerData: data,
      execArgv: options.workerExecArgv ?? process.execArgv,
    });
    const thread: Thread = {
      slot,
      worker,
      opened: new Set(),
      listening: false,
      failedStarts,
      lastBeat: 0,
      lastBeatAt: Date.now(),
    };
    threads.set(slot, thread);
    worker.on('message', (message: FromThread) => onMessage(thread, message));
    worker.on('error', (error) => log.error('thread_failed', { slot, error: errorFields(error).message }));
    worker.on('exit', (code) => onExit(thread, code));
  };

  const onExit = (thread: Thread, code: number): void => {
    if (threads.get(thread.slot) !== thread) return;
    threads.delete(thread.slot);
    settleWaiters();
    if (stopping) {
      if (threads.size === 0) finish();
      return;
    }
    const failedStarts = thread.listening ? 0 : thread.failedStarts + 1;
    log.error('thread_exited', {
      slot: thread.slot,
      code,
      listening: thread.listening,
      restartingIn: 'backoff',
    });
    const anyListening = [...threads.values()].some((t) => t.listening);
    if (failedStarts >= MAX_FAILED_STARTS && !anyListening) {
      fatal(
        `request thread ${thread.slot} failed ${failedStarts} times in a row before serving and no thread is serving`,
      );
      return;
    }
    setTimeout(
      () => {
        if (!stopping && !threads.has(thread.slot)) spawn(thread.slot, failedStarts);
      },
      Math.min(10_000, 100 * 2 ** failedStarts),
    );
  };

  /** Makes `handle` the version of every thread: each opens it, then one atomic store switches all. */
  const install = async (handle: ModelHandle): Promise<void> => {
    const gen = ++generation;
    models.set(gen, handle);
    if (gen === 1) {
      for (let slot = 0; slot < options.threads; slot++) spawn(slot, 0);
    } else {
      for (const thread of threads.values()) send(thread, { type: 'open', generation: gen, handle });
    }
    await new Promise<void>((resolve) => {
      waiters.push({ generation: gen, resolve });
      settleWaiters();
    });
    if (stopping) return;
    Atomics.store(words, ACTIVE, gen);
    active = gen;
    for (const old of [...models.keys()]) if (old < gen) models.delete(old);
    for (const thread of threads.values()) send(thread, { type: 'retain', generations: [gen] });
    if (placeholder) {
      const closing = placeholder;
      placeholder = undefined;
      await closing.drain(Date.now() + 1000);
      for (const thread of threads.values()) if (thread.opened.has(gen)) send(thread, { type: 'listen' });
    }
    log.info('model_active', { version: handle.version, generation: gen, threads: threads.size });
  };
  let installing = Promise.resolve();
  runtime.onSwap((handle) => {
    installing = installing
      .then(() => install(handle))
      .catch((error: unknown) => log.error('install_failed', { error: errorFields(error).message }));
  });

  const watchdog = setInterval(() => {
    const now = Date.now();
    for (const thread of threads.values()) {
      const beat = Atomics.load(words, heartbeatWord(thread.slot));
      if (beat !== thread.lastBeat) {
        thread.lastBeat = beat;
        thread.lastBeatAt = now;
      } else if (now - thread.lastBeatAt > WATCHDOG_MS) {
        log.error('thread_stuck', { slot: thread.slot, silentMs: now - thread.lastBeatAt });
        thread.lastBeatAt = now;
        void thread.worker.terminate();
      }
    }
  }, 5000);
  watchdog.unref();

  const shutdown = async (reason: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    runtime.stop();
    clearInterval(watchdog);
    log.info('shutting_down', { reason, threads: threads.size });
    const deadline = Date.now() + config.shutdownTimeoutSeconds * 1000 - 500;
    const closing = placeholder?.drain(deadline);
    for (const thread of threads.values()) send(thread, { type: 'shutdown', deadline });
    if (threads.size === 0) finish();
    await closing;
    // Threads past the deadline are cut: SIGTERM must end within SHUTDOWN_TIMEOUT_SECONDS.
    const cut = setTimeout(
      () => {
        for (const thread of threads.values()) void thread.worker.terminate();
      },
      Math.max(0, deadline - Date.now()) + 250,
    );
    await done;
    clearTimeout(cut);
  };

  void runtime.start();
  return {
    runtime,
    threads: () =>
      [...threads.values()].map((t) => ({
        slot: t.slot,
        threadId: t.worker.threadId,
        listening: t.listening,
      })),
    async kill(slot) {
      await threads.get(slot)?.worker.terminate();
    },
    shutdown,
    done,
  };
}

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
  /** told to listen (once: a second listen() on a bound server throws in the thread) */
  listenSent: boolean;
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

/** The supervisor's state and its reactions to threads, model swaps and signals. */
class SupervisorState {
  readonly threads = new Map<number, Thread>();
  private readonly words: Int32Array;
  private readonly models = new Map<number, ModelHandle>();
  /** installs waiting until every thread has opened their generation (false: abandoned) */
  private readonly waiters: { generation: number; resolve: (opened: boolean) => void }[] = [];
  private generation = 0;
  private active = 0;
  private stopping = false;
  private exitCode = 0;
  private finish: () => void = () => {};
  readonly done = new Promise<number>((resolve) => {
    this.finish = () => resolve(this.exitCode);
  });
  private installing = Promise.resolve();
  private watchdog: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: Config,
    private readonly options: SupervisorOptions,
    readonly runtime: ModelRuntime,
    private placeholder: HttpServer | undefined,
    private readonly control: SharedArrayBuffer,
  ) {
    this.words = new Int32Array(control);
  }

  private get log(): Log {
    return this.options.log;
  }

  private send(thread: Thread, message: ToThread): void {
    thread.worker.postMessage(message);
  }

  private listen(thread: Thread): void {
    if (thread.listenSent) return;
    thread.listenSent = true;
    this.send(thread, { type: 'listen' });
  }

  private settleWaiters(): void {
    // No thread left (all died while opening) is not "all opened": their replacements will open it.
    const allOpened = (gen: number): boolean =>
      this.threads.size > 0 && [...this.threads.values()].every((t) => t.opened.has(gen));
    for (const w of [...this.waiters]) {
      if (allOpened(w.generation)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(true);
      }
    }
  }

  /** A thread could not open a new version: the version is dropped and the active one keeps serving. */
  private abandon(generation: number): void {
    for (const w of this.waiters.filter((w) => w.generation === generation)) {
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve(false);
    }
  }

  private fatal(message: string): void {
    this.log.error('fatal', { reason: message });
    this.exitCode = 1;
    void this.shutdown('fatal');
  }

  private onMessage(thread: Thread, message: FromThread): void {
    switch (message.type) {
      case 'log':
        this.options.writeLines(message.text);
        return;
      case 'opened':
        thread.opened.add(message.generation);
        if (message.generation === this.active && !this.placeholder) this.listen(thread);
        this.settleWaiters();
        return;
      case 'open-failed':
        this.log.error('thread_open_failed', {
          slot: thread.slot,
          generation: message.generation,
          error: message.message,
        });
        // Before any version serves, a thread that cannot open the first is replaced (with backoff);
        // later, the thread keeps serving the active version and the new one is not installed.
        if (this.active === 0) void thread.worker.terminate();
        else this.abandon(message.generation);
        return;
      case 'listening':
        thread.listening = true;
        thread.failedStarts = 0;
        return;
      case 'listen-failed':
        this.fatal(
          `request thread ${thread.slot} cannot listen on ${this.config.host}:${this.config.port}: ${message.message}`,
        );
        return;
    }
  }

  spawn(slot: number, failedStarts: number): void {
    const data: ThreadData = {
      slot,
      config: this.config,
      control: this.control,
      models: [...this.models]
        .filter(([gen]) => gen >= this.active)
        .map(([gen, handle]) => ({ generation: gen, handle })),
    };
    const worker = new Worker(this.options.entry, {
      workerData: data,
      execArgv: this.options.workerExecArgv ?? process.execArgv,
    });
    const thread: Thread = {
      slot,
      worker,
      opened: new Set(),
      listening: false,
      listenSent: false,
      failedStarts,
      lastBeat: 0,
      lastBeatAt: Date.now(),
    };
    this.threads.set(slot, thread);
    worker.on('message', (message: FromThread) => this.onMessage(thread, message));
    worker.on('error', (error) =>
      this.log.error('thread_failed', { slot, error: errorFields(error).message }),
    );
    worker.on('exit', (code) => this.onExit(thread, code));
  }

  /** A thread ended: replaced with backoff, unless every thread keeps failing before it serves. */
  private onExit(thread: Thread, code: number): void {
    if (this.threads.get(thread.slot) !== thread) return;
    this.threads.delete(thread.slot);
    this.settleWaiters();
    if (this.stopping) {
      if (this.threads.size === 0) this.finish();
      return;
    }
    const failedStarts = thread.listening ? 0 : thread.failedStarts + 1;
    const delay = Math.min(10_000, 100 * 2 ** failedStarts);
    this.log.error('thread_exited', {
      slot: thread.slot,
      code,
      wasListening: thread.listening,
      restartInMs: delay,
    });
    const anyListening = [...this.threads.values()].some((t) => t.listening);
    if (failedStarts >= MAX_FAILED_STARTS && !anyListening) {
      this.fatal(
        `request thread ${thread.slot} failed ${failedStarts} times in a row before serving and no thread is serving`,
      );
      return;
    }
    setTimeout(() => {
      if (!this.stopping && !this.threads.has(thread.slot)) this.spawn(thread.slot, failedStarts);
    }, delay);
  }

  /** Queues `handle` to become every thread's version (swaps happen one at a time). */
  swap(handle: ModelHandle): void {
    if (this.stopping) return;
    this.installing = this.installing
      .then(() => this.install(handle))
      .catch((error: unknown) => this.log.error('install_failed', { error: errorFields(error).message }));
  }

  /** Makes `handle` the version of every thread: each opens it, then one atomic store switches all. */
  private async install(handle: ModelHandle): Promise<void> {
    if (this.stopping) return;
    const gen = ++this.generation;
    this.models.set(gen, handle);
    if (gen === 1) {
      for (let slot = 0; slot < this.options.threads; slot++) this.spawn(slot, 0);
    } else {
      for (const thread of this.threads.values())
        this.send(thread, { type: 'open', generation: gen, handle });
    }
    const opened = await new Promise<boolean>((resolve) => {
      this.waiters.push({ generation: gen, resolve });
      this.settleWaiters();
    });
    if (this.stopping) return;
    if (!opened) {
      this.models.delete(gen);
      for (const thread of this.threads.values())
        this.send(thread, { type: 'retain', generations: [this.active] });
      this.log.error('model_not_installed', {
        version: handle.version,
        generation: gen,
        servingGeneration: this.active,
      });
      return;
    }
    Atomics.store(this.words, ACTIVE, gen);
    this.active = gen;
    for (const old of [...this.models.keys()]) if (old < gen) this.models.delete(old);
    for (const thread of this.threads.values()) this.send(thread, { type: 'retain', generations: [gen] });
    if (this.placeholder) {
      const closing = this.placeholder;
      this.placeholder = undefined;
      await closing.drain(Date.now() + 1000);
      for (const thread of this.threads.values()) if (thread.opened.has(gen)) this.listen(thread);
    }
    this.log.info('model_active', { version: handle.version, generation: gen, threads: this.threads.size });
  }

  /** Replaces a thread whose heartbeat stopped for WATCHDOG_MS (a stuck event loop). */
  startWatchdog(): void {
    this.watchdog = setInterval(() => {
      const now = Date.now();
      for (const thread of this.threads.values()) {
        const beat = Atomics.load(this.words, heartbeatWord(thread.slot));
        if (beat !== thread.lastBeat) {
          thread.lastBeat = beat;
          thread.lastBeatAt = now;
        } else if (now - thread.lastBeatAt > WATCHDOG_MS) {
          this.log.error('thread_stuck', { slot: thread.slot, silentMs: now - thread.lastBeatAt });
          thread.lastBeatAt = now;
          void thread.worker.terminate();
        }
      }
    }, 5000);
    this.watchdog.unref();
  }

  /** Drains every thread and ends within SHUTDOWN_TIMEOUT_SECONDS, cutting what is left. */
  async shutdown(reason: string): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.runtime.stop();
    clearInterval(this.watchdog);
    this.log.info('shutting_down', { reason, threads: this.threads.size });
    const deadline = Date.now() + this.config.shutdownTimeoutSeconds * 1000 - 500;
    const closing = this.placeholder?.drain(deadline);
    for (const thread of this.threads.values()) this.send(thread, { type: 'shutdown', deadline });
    if (this.threads.size === 0) this.finish();
    await closing;
    const cut = setTimeout(
      () => {
        for (const thread of this.threads.values()) void thread.worker.terminate();
      },
      Math.max(0, deadline - Date.now()) + 250,
    );
    await this.done;
    clearTimeout(cut);
  }
}

/**
 * Starts serving: the runtime, the 503 listener, and (once a model is there) the request threads.
 * @throws FatalError when the port cannot be bound; ConfigInvalidError for a bad MODEL_URI or MODEL_VERSION
 */
export async function startSupervisor(config: Config, options: SupervisorOptions): Promise<Supervisor> {
  const { log } = options;
  const runtime = runtimeFromConfig(config, { log, drive: 'timers', slots: options.threads });
  const placeholder = placeholderServer(config, runtime, log);
  await listenExclusive(placeholder, config);
  log.info('listening', { port: config.port, threads: options.threads, state: 'loading model' });
  const state = new SupervisorState(
    config,
    options,
    runtime,
    placeholder,
    new SharedArrayBuffer(4 * (1 + options.threads)),
  );
  runtime.onSwap((handle) => state.swap(handle));
  state.startWatchdog();
  void runtime.start();
  return {
    runtime,
    threads: () =>
      [...state.threads.values()].map((t) => ({
        slot: t.slot,
        threadId: t.worker.threadId,
        listening: t.listening,
      })),
    async kill(slot) {
      await state.threads.get(slot)?.worker.terminate();
    },
    shutdown: (reason) => state.shutdown(reason),
    done: state.done,
  };
}

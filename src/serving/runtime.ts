/**
 * The model lifecycle of a serving process, the same on both targets: the first load with a bounded
 * backoff (one attempt in flight, an immediate 503 saying why while waiting), then following
 * `latest.json` (conditional polling) and swapping in new versions. A version refused as invalid is
 * remembered with the identity of its files and retried as soon as they change; a bad pointer or a
 * refused version is logged once per content, a failed attempt once per attempt.
 *
 * On the container, timers drive attempts and polls in the one loader thread, which hands each
 * version to every request thread. On Lambda, where timers stop while an environment is frozen,
 * requests drive them (`tick`).
 * @module
 */
import { type Pointer, pointerFor, versionIdSchema } from '../artifact/index.js';
import { ArtifactInvalidError, ConfigInvalidError, ModelNotLoadedError } from '../core/errors.js';
import { errorFields, type Log } from '../core/log.js';
import type { ArtifactSource } from '../store/index.js';
import type { ModelHandle } from './model-handle.js';

/** Options of {@link createModelRuntime}. */
export interface RuntimeOptions {
  source: ArtifactSource;
  /** pin this version instead of following `latest.json` (no refresh then) */
  version?: string | undefined;
  /** poll `latest.json` this often; 0 = never */
  refreshSeconds: number;
  /** longest backoff between failed first loads; doubles from 1 s */
  retryMaxSeconds: number;
  /** reads and places one version (src/serving/model-handle.ts `loadHandle`) */
  load(
    source: ArtifactSource,
    pointer: { version: string; manifest: string },
    pinned: boolean,
  ): Promise<ModelHandle>;
  log: Log;
  /** `timers`: retry and poll on timers (container); `requests`: only when `tick` is called (Lambda) */
  drive: 'timers' | 'requests';
  /** the clock, replaceable in tests (ms) */
  now?: () => number;
}

/** Where the runtime stands. */
export type RuntimeStatus =
  | { state: 'loading'; attempt: number }
  | { state: 'ready'; version: string; since: number }
  | { state: 'failed'; attempt: number; error: Error; retryAt: number };

/** The process-wide holder of the current model version. */
export interface ModelRuntime {
  /** Starts the first load (and, with timers, keeps retrying and polling). */
  start(): Promise<void>;
  /** The current version, or undefined before the first load succeeds. */
  handle(): ModelHandle | undefined;
  status(): RuntimeStatus;
  /** The 503 to answer while there is no model: loading, failed and retrying, or nothing published. */
  unavailable(): ModelNotLoadedError;
  /** Lambda: runs what is due (a load after its backoff, a poll after its interval); resolves when a load ends. */
  tick(): Promise<void>;
  /** Checks the pointer now; resolves true when a new version was swapped in. Never rejects. */
  refreshNow(): Promise<boolean>;
  /** Calls `listener` after every swap (and the first load). */
  onSwap(listener: (handle: ModelHandle, previous: ModelHandle | undefined) => void): void;
  stop(): void;
}

interface Refused {
  pointer: Pointer;
  files: string[];
  identity: string;
  error: ArtifactInvalidError;
}

/** Files whose change makes a refused version worth another try: its manifest and every model file it may have. */
function versionFiles(manifest: string): string[] {
  const dir = manifest.slice(0, manifest.lastIndexOf('/') + 1);
  return [manifest, `${dir}items.bin`, `${dir}users.bin`, `${dir}model.bin`];
}

/** A failed load as a client may read it: the kind of failure, without locations or SDK text. */
function publicReason(error: Error): string {
  if (error instanceof ArtifactInvalidError) return 'the published model is invalid';
  if (!(error instanceof ModelNotLoadedError)) return 'unexpected error';
  switch (error.reason) {
    case 'not-published':
      return 'no model is published yet';
    case 'not-found':
      return 'the pinned version is not published';
    case 'unreachable':
      return 'the model store could not be read';
    default:
      return 'loading';
  }
}

/**
 * Creates the runtime for one artifact root. Nothing is read until {@link ModelRuntime.start}.
 * @throws ConfigInvalidError for a pinned version that is not a version id
 * @example
 * const runtime = createModelRuntime({ source, refreshSeconds: 60, retryMaxSeconds: 30, load, log, drive: 'timers' });
 * runtime.onSwap((handle) => broadcast(handle));
 * await runtime.start();
 */
export function createModelRuntime(options: RuntimeOptions): ModelRuntime {
  const pinned = options.version;
  if (pinned !== undefined && !versionIdSchema.safeParse(pinned).success) {
    throw new ConfigInvalidError(
      `MODEL_VERSION "${pinned}" is not a version id (like 20250101T102000Z-1a2b3c4d)`,
    );
  }
  return new Runtime(options);
}

type Listener = (handle: ModelHandle, previous: ModelHandle | undefined) => void;

class Runtime implements ModelRuntime {
  private readonly source: ArtifactSource;
  private readonly log: Log;
  private readonly now: () => number;
  private readonly pinned: string | undefined;
  private current: ModelHandle | undefined;
  private state: RuntimeStatus = { state: 'loading', attempt: 0 };
  private attempt = 0;
  private inFlight: Promise<void> | undefined;
  private refreshing: Promise<boolean> | undefined;
  private pointerTag: string | undefined;
  private refused: Refused | undefined;
  private lastLogged: string | undefined;
  private lastPoll: number;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly listeners: Listener[] = [];

  constructor(private readonly options: RuntimeOptions) {
    this.source = options.source;
    this.log = options.log;
    this.now = options.now ?? (() => Date.now());
    this.pinned = options.version;
    this.lastPoll = this.now();
  }

  async start(): Promise<void> {
    await this.attemptLoad();
    if (this.current) this.startPolling();
    else if (this.options.drive === 'timers') {
      const firstLoad: Listener = () => {
        this.listeners.splice(this.listeners.indexOf(firstLoad), 1);
        this.startPolling();
      };
      this.listeners.push(firstLoad);
    }
  }

  handle(): ModelHandle | undefined {
    return this.current;
  }

  status(): RuntimeStatus {
    return this.state;
  }

  unavailable(): ModelNotLoadedError {
    const status = this.state;
    if (status.state === 'failed') {
      const seconds = Math.max(0, Math.ceil((status.retryAt - this.now()) / 1000));
      // Clients learn what kind of failure and when the next attempt is; the log has where and why.
      return new ModelNotLoadedError(
        `No model loaded: attempt ${status.attempt} failed (${publicReason(status.error)}); next attempt in ${seconds} s`,
        { expose: true, retryAfterSeconds: Math.max(1, seconds) },
      );
    }
    return new ModelNotLoadedError('No model loaded yet: loading', { expose: true, retryAfterSeconds: 1 });
  }

  async tick(): Promise<void> {
    if (!this.current) {
      if (this.inFlight) return;
      if (this.state.state !== 'failed' || this.now() >= this.state.retryAt) await this.attemptLoad();
      return;
    }
    const { refreshSeconds } = this.options;
    if (refreshSeconds > 0 && this.now() - this.lastPoll >= refreshSeconds * 1000) void this.refreshNow();
  }

  refreshNow(): Promise<boolean> {
    if (!this.current) return this.attemptLoad().then(() => this.current !== undefined);
    if (this.pinned !== undefined) return Promise.resolve(false);
    this.refreshing ??= this.poll()
      .catch((error: unknown) => {
        this.log.error('model_refresh_failed', {
          uri: this.source.uri,
          servingVersion: this.current?.version,
          error: errorFields(error).message,
        });
        return false;
      })
      .finally(() => {
        this.refreshing = undefined;
      });
    return this.refreshing;
  }

  onSwap(listener: Listener): void {
    this.listeners.push(listener);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Logs a failure unless the same content was the last one logged (a bad pointer, a refused version). */
  private logOnce(key: string, message: string, fields: Record<string, unknown>): void {
    if (key === this.lastLogged) return;
    this.lastLogged = key;
    this.log.error(message, fields);
  }

  private swap(handle: ModelHandle, ms: number): void {
    const previous = this.current;
    this.current = handle;
    this.state = { state: 'ready', version: handle.version, since: this.now() };
    this.refused = undefined;
    this.lastLogged = undefined;
    this.log.info(previous ? 'model_swapped' : 'model_loaded', {
      uri: this.source.uri,
      version: handle.version,
      ...(previous ? { previousVersion: previous.version } : {}),
      ...(handle.convertedFrom
        ? {
            convertedFrom: handle.convertedFrom,
            hint: 'run npm run artifact:convert to publish it as format 2',
          }
        : {}),
      users: handle.users.kind === 'memory' ? 'preloaded' : 'on demand',
      itemsBytes: handle.items.byteLength,
      ms,
    });
    for (const listener of [...this.listeners]) listener(handle, previous);
  }

  private async identityOf(files: readonly string[]): Promise<string> {
    const ids = await Promise.all(files.map((f) => this.source.identity(f).catch(() => 'unreachable')));
    return ids.map((i) => i ?? 'missing').join('|');
  }

  private refuse(pointer: Pointer, files: string[], identity: string, error: ArtifactInvalidError): void {
    this.refused = { pointer, files, identity, error };
    this.logOnce(`refused:${pointer.version}:${identity}:${error.message}`, 'model_refused', {
      uri: this.source.uri,
      version: pointer.version,
      error: error.message,
      ...(this.current ? { servingVersion: this.current.version } : {}),
    });
  }

  /** Loads the version `latest.json` (or the pin) names now. */
  private async loadLatest(): Promise<void> {
    const started = this.now();
    const read =
      this.pinned !== undefined
        ? { changed: true as const, pointer: pointerFor(this.pinned), tag: undefined }
        : await this.source.readPointer();
    if (!read.changed) return;
    if (read.pointer === undefined) {
      this.pointerTag = read.tag;
      throw read.error;
    }
    const refused = this.refused;
    // The same refused version with the same files: fail again without downloading it again.
    if (
      refused &&
      refused.pointer.version === read.pointer.version &&
      (await this.identityOf(refused.files)) === refused.identity
    ) {
      throw refused.error;
    }
    await this.tryVersion(read.pointer, read.tag, started, true);
  }

  private attemptLoad(): Promise<void> {
    this.inFlight ??= (async () => {
      this.attempt++;
      this.state = { state: 'loading', attempt: this.attempt };
      try {
        await this.loadLatest();
      } catch (failure) {
        this.failed(failure instanceof Error ? failure : new Error(String(failure)));
      } finally {
        this.inFlight = undefined;
      }
    })();
    return this.inFlight;
  }

  /** A failed first load: backoff doubling from 1 s to retryMaxSeconds, one log line per attempt. */
  private failed(error: Error): void {
    const wait = Math.min(this.options.retryMaxSeconds, 2 ** Math.min(this.attempt - 1, 20)) * 1000;
    this.state = { state: 'failed', attempt: this.attempt, error, retryAt: this.now() + wait };
    const fields = {
      uri: this.source.uri,
      attempt: this.attempt,
      retryInSeconds: wait / 1000,
      error: error.message,
    };
    // Keyed by the pointer's content too: another unusable latest.json often fails with the same message.
    if (error instanceof ArtifactInvalidError)
      this.logOnce(`load:${this.pointerTag}:${error.message}`, 'model_load_failed', fields);
    else this.log.error('model_load_failed', fields);
    if (this.options.drive === 'timers' && !this.stopped) this.schedule(wait, () => void this.attemptLoad());
  }

  /** One poll: a moved pointer loads its version; a refused version is retried once its files change. */
  private async poll(): Promise<boolean> {
    const started = this.now();
    this.lastPoll = started;
    const read = await this.source.readPointer(this.pointerTag);
    if (!read.changed) {
      const refused = this.refused;
      if (!refused || (await this.identityOf(refused.files)) === refused.identity) return false;
      return this.tryVersion(refused.pointer, this.pointerTag, started, false);
    }
    if (read.pointer === undefined) {
      this.pointerTag = read.tag;
      this.logOnce(`pointer:${read.tag}`, 'pointer_invalid', {
        uri: this.source.uri,
        error: read.error.message,
        servingVersion: this.current?.version,
      });
      return false;
    }
    if (read.pointer.version === this.current?.version) {
      this.pointerTag = read.tag;
      this.refused = undefined;
      return false;
    }
    return this.tryVersion(read.pointer, read.tag, started, false);
  }

  /**
   * Loads one version and swaps it in; an invalid one is remembered as refused (and rethrown when
   * `rethrow`, for the first load's backoff).
   */
  private async tryVersion(
    pointer: Pointer,
    tag: string | undefined,
    started: number,
    rethrow: boolean,
  ): Promise<boolean> {
    // Taken before the read: a file fixed while it is read then counts as a change, not as refused.
    const files = versionFiles(pointer.manifest);
    const identity = this.identityOf(files);
    try {
      const handle = await this.options.load(this.source, pointer, this.pinned !== undefined);
      this.pointerTag = tag;
      this.swap(handle, this.now() - started);
      return true;
    } catch (error) {
      if (!(error instanceof ArtifactInvalidError)) throw error;
      this.pointerTag = tag;
      this.refuse(pointer, files, await identity, error);
      if (rethrow) throw error;
      return false;
    }
  }

  private schedule(ms: number, run: () => void): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(run, ms);
  }

  private startPolling(): void {
    const { drive, refreshSeconds } = this.options;
    if (drive !== 'timers' || refreshSeconds <= 0 || this.pinned !== undefined || this.stopped) return;
    this.schedule(refreshSeconds * 1000, () => {
      void this.refreshNow().finally(() => this.startPolling());
    });
  }
}

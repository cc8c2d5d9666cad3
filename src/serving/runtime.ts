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
import { pointerFor, versionIdSchema } from '../artifact/index.js';
import { ArtifactInvalidError, ConfigInvalidError, ModelNotLoadedError } from '../core/errors.js';
import { errorFields, type Log } from '../core/log.js';
import { type ArtifactSource, parseModelUri } from '../store/index.js';
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
  pointer: { version: string; manifest: string };
  files: string[];
  identity: string;
  error: ArtifactInvalidError;
}

/** Files whose change makes a refused version worth another try: its manifest and every model file it may have. */
function versionFiles(manifest: string): string[] {
  const dir = manifest.slice(0, manifest.lastIndexOf('/') + 1);
  return [manifest, `${dir}items.bin`, `${dir}users.bin`, `${dir}model.bin`];
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
  const { source, log } = options;
  const now = options.now ?? (() => Date.now());
  const pinned = options.version;
  if (pinned !== undefined && !versionIdSchema.safeParse(pinned).success) {
    throw new ConfigInvalidError(
      `MODEL_VERSION "${pinned}" is not a version id (like 20250101T102000Z-1a2b3c4d)`,
    );
  }
  let current: ModelHandle | undefined;
  let status: RuntimeStatus = { state: 'loading', attempt: 0 };
  let attempt = 0;
  let inFlight: Promise<void> | undefined;
  let refreshing: Promise<boolean> | undefined;
  let pointerTag: string | undefined;
  let refused: Refused | undefined;
  let lastLogged: string | undefined;
  let lastPoll = now();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const listeners: ((handle: ModelHandle, previous: ModelHandle | undefined) => void)[] = [];

  /** Logs a failure unless the same content was the last one logged (a bad pointer, a refused version). */
  const logOnce = (key: string, message: string, fields: Record<string, unknown>): void => {
    if (key === lastLogged) return;
    lastLogged = key;
    log.error(message, fields);
  };

  const swap = (handle: ModelHandle, ms: number): void => {
    const previous = current;
    current = handle;
    status = { state: 'ready', version: handle.version, since: now() };
    refused = undefined;
    lastLogged = undefined;
    log.info(previous ? 'model_swapped' : 'model_loaded', {
      uri: source.uri,
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
    for (const listener of listeners) listener(handle, previous);
  };

  const refuse = async (
    pointer: { version: string; manifest: string },
    error: ArtifactInvalidError,
  ): Promise<void> => {
    const files = versionFiles(pointer.manifest);
    const identity = await identityOf(files);
    refused = { pointer, files, identity, error };
    logOnce(`refused:${pointer.version}:${identity}:${error.message}`, 'model_refused', {
      uri: source.uri,
      version: pointer.version,
      error: error.message,
      ...(current ? { servingVersion: current.version } : {}),
    });
  };

  const identityOf = async (files: readonly string[]): Promise<string> =>
    (await Promise.all(files.map((f) => source.identity(f).catch(() => 'unreachable'))))
      .map((i) => i ?? 'missing')
      .join('|');

  /** Loads the version `latest.json` (or the pin) names now. */
  const loadLatest = async (): Promise<void> => {
    const started = now();
    const read =
      pinned !== undefined
        ? { changed: true as const, pointer: pointerFor(pinned), tag: undefined }
        : await source.readPointer();
    if (!read.changed) return;
    if (read.pointer === undefined) {
      pointerTag = read.tag;
      throw read.error;
    }
    // The same refused version with the same files: fail again without downloading it again.
    if (
      refused &&
      refused.pointer.version === read.pointer.version &&
      (await identityOf(refused.files)) === refused.identity
    ) {
      throw refused.error;
    }
    try {
      const handle = await options.load(source, read.pointer, pinned !== undefined);
      pointerTag = read.tag;
      swap(handle, now() - started);
    } catch (error) {
      if (error instanceof ArtifactInvalidError) {
        pointerTag = read.tag;
        await refuse(read.pointer, error);
      }
      throw error;
    }
  };

  const attemptLoad = (): Promise<void> => {
    inFlight ??= (async () => {
      attempt++;
      status = { state: 'loading', attempt };
      try {
        await loadLatest();
      } catch (failure) {
        const error = failure instanceof Error ? failure : new Error(String(failure));
        const wait = Math.min(options.retryMaxSeconds, 2 ** Math.min(attempt - 1, 20)) * 1000;
        status = { state: 'failed', attempt, error, retryAt: now() + wait };
        const fields = { uri: source.uri, attempt, retryInSeconds: wait / 1000, error: error.message };
        // Keyed by the pointer's content too: another unusable latest.json often fails with the same message.
        if (error instanceof ArtifactInvalidError)
          logOnce(`load:${pointerTag}:${error.message}`, 'model_load_failed', fields);
        else log.error('model_load_failed', fields);
        if (options.drive === 'timers' && !stopped) schedule(wait, () => void attemptLoad());
      } finally {
        inFlight = undefined;
      }
    })();
    return inFlight;
  };

  /** One poll: a moved pointer loads its version; a refused version is retried once its files change. */
  const poll = async (): Promise<boolean> => {
    const started = now();
    lastPoll = started;
    const read = await source.readPointer(pointerTag);
    if (!read.changed) {
      if (!refused) return false;
      const identity = await identityOf(refused.files);
      if (identity === refused.identity) return false;
      return tryVersion(refused.pointer, pointerTag, started);
    }
    if (read.pointer === undefined) {
      pointerTag = read.tag;
      logOnce(`pointer:${read.tag}`, 'pointer_invalid', {
        uri: source.uri,
        error: read.error.message,
        servingVersion: current?.version,
      });
      return false;
    }
    if (read.pointer.version === current?.version) {
      pointerTag = read.tag;
      refused = undefined;
      return false;
    }
    return tryVersion(read.pointer, read.tag, started);
  };

  const tryVersion = async (
    pointer: { version: string; manifest: string },
    tag: string | undefined,
    started: number,
  ): Promise<boolean> => {
    try {
      const handle = await options.load(source, pointer, false);
      pointerTag = tag;
      swap(handle, now() - started);
      return true;
    } catch (error) {
      if (!(error instanceof ArtifactInvalidError)) throw error;
      pointerTag = tag;
      await refuse(pointer, error);
      return false;
    }
  };

  const refreshNow = (): Promise<boolean> => {
    if (!current) return attemptLoad().then(() => current !== undefined);
    if (pinned !== undefined) return Promise.resolve(false);
    refreshing ??= poll()
      .catch((error: unknown) => {
        log.error('model_refresh_failed', {
          uri: source.uri,
          servingVersion: current?.version,
          error: errorFields(error).message,
        });
        return false;
      })
      .finally(() => {
        refreshing = undefined;
      });
    return refreshing;
  };

  const schedule = (ms: number, run: () => void): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(run, ms);
  };

  const startPolling = (): void => {
    if (options.drive !== 'timers' || options.refreshSeconds <= 0 || pinned !== undefined || stopped) return;
    schedule(options.refreshSeconds * 1000, () => {
      void refreshNow().finally(startPolling);
    });
  };

  return {
    async start() {
      await attemptLoad();
      if (current) startPolling();
      else if (options.drive === 'timers') {
        listeners.push(function firstLoad() {
          listeners.splice(listeners.indexOf(firstLoad), 1);
          startPolling();
        });
      }
    },
    handle: () => current,
    status: () => status,
    unavailable() {
      const where = parseModelUri(source.uri).uri;
      if (status.state === 'failed') {
        const seconds = Math.max(0, Math.ceil((status.retryAt - now()) / 1000));
        return new ModelNotLoadedError(
          `No model loaded: attempt ${status.attempt} to load from ${where} failed (${status.error.message}); next attempt in ${seconds} s`,
        );
      }
      return new ModelNotLoadedError(`No model loaded yet: loading from ${where}`);
    },
    async tick() {
      if (!current) {
        if (inFlight) return;
        if (status.state !== 'failed' || now() >= status.retryAt) await attemptLoad();
        return;
      }
      if (options.refreshSeconds > 0 && now() - lastPoll >= options.refreshSeconds * 1000) void refreshNow();
    },
    refreshNow,
    onSwap: (listener) => {
      listeners.push(listener);
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}

/**
 * The model store: loads a published model once per process (concurrent callers share one load),
 * verifies it, and optionally polls the pointer to swap in new versions atomically.
 * @module
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { decodeModel, type LoadedModel, parseManifest } from '../artifact/decode.js';
import {
  MANIFEST_FILE,
  POINTER_FILE,
  type Pointer,
  pointerFor,
  versionIdSchema,
} from '../artifact/format.js';
import { ArtifactInvalidError, ConfigInvalidError, ModelNotLoadedError } from '../core/errors.js';
import { parseModelUri, SAGEMAKER_MODEL_DIR } from './location.js';
import { DEFAULT_RETRY, type RetryPolicy } from './retry.js';
import { createS3Client } from './s3-client.js';
import { DEFAULT_RANGED_GET, type RangedGetOptions, s3Source } from './s3-source.js';
import { type ArtifactSource, localSource } from './source.js';

/** Options for {@link createModelStore}. */
export interface ModelStoreOptions<T> {
  /** `s3://bucket/prefix` or a directory; default SageMaker's `/opt/ml/model` */
  uri?: string;
  /** pin this version id instead of following `latest.json` (refresh is then off) */
  version?: string;
  /** poll interval for {@link ModelStore.startRefresh}; 0 or unset disables refresh */
  refreshSeconds?: number;
  /** builds what callers use from a verified model (e.g. a recommender); runs before a swap */
  prepare: (model: LoadedModel) => T;
  /** client for S3 roots; default {@link createS3Client} with `forcePathStyle` */
  s3?: S3Client;
  forcePathStyle?: boolean;
  /** our retry around each S3 operation, on top of the SDK's own */
  retry?: Partial<RetryPolicy>;
  /** bundle download tuning (S3 only) */
  ranged?: Partial<RangedGetOptions>;
  /** structured events: model_loaded, model_load_failed, model_swapped, model_refresh_failed */
  log?: (event: Record<string, unknown>) => void;
}

/** A process-wide holder of the current model. */
export interface ModelStore<T> {
  /** Loads the model once; concurrent and later calls share the result. A failed load can be retried. */
  load(): Promise<T>;
  /** The prepared model, or undefined before the first successful load. */
  current(): T | undefined;
  /** The loaded model version id, or undefined before the first successful load. */
  version(): string | undefined;
  /** The verified model behind {@link ModelStore.current}. */
  loaded(): LoadedModel | undefined;
  /** The last load or refresh failure, cleared by the next success. */
  lastError(): Error | undefined;
  /** Checks the pointer once now; resolves true when a new version was swapped in. Never rejects. */
  refreshNow(): Promise<boolean>;
  /** Polls every `refreshSeconds` (no-op when unset or pinned); the timer never keeps the process alive. */
  startRefresh(): void;
  stop(): void;
}

interface State<T> {
  value: T;
  loaded: LoadedModel;
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** Reads, parses and verifies one version named by a pointer. */
async function fetchVersion(source: ArtifactSource, pointer: Pointer, pinned: boolean): Promise<LoadedModel> {
  const where = `${source.uri}/${pointer.manifest}`;
  const text = await source.readText(pointer.manifest);
  if (text === undefined) {
    if (pinned)
      throw new ModelNotLoadedError(`Model version ${pointer.version} not found: ${where} does not exist`);
    throw new ArtifactInvalidError(`${where} does not exist, though ${POINTER_FILE} points to it`);
  }
  try {
    let manifest: unknown;
    try {
      manifest = JSON.parse(text);
    } catch (error) {
      throw new ArtifactInvalidError(`${MANIFEST_FILE} is not valid JSON`, { cause: error });
    }
    // Refuse an unknown format or a broken manifest before downloading a large bundle.
    const parsed = parseManifest(manifest);
    if (parsed.version !== pointer.version) {
      throw new ArtifactInvalidError(
        `${MANIFEST_FILE} is version ${parsed.version}, expected ${pointer.version}`,
      );
    }
    const dir = pointer.manifest.slice(0, pointer.manifest.lastIndexOf('/') + 1);
    const bundle = await source.readBundle(`${dir}${parsed.bundle.file}`, parsed.bundle.bytes);
    return decodeModel(manifest, bundle);
  } catch (error) {
    if (error instanceof ArtifactInvalidError) {
      throw new ArtifactInvalidError(
        `Model version ${pointer.version} at ${source.uri} is invalid: ${error.message}`,
        {
          cause: error,
        },
      );
    }
    throw error;
  }
}

/**
 * Creates a store for one artifact root. Nothing is read until {@link ModelStore.load}.
 * @example
 * const store = createModelStore({ uri: 's3://models/recommender', prepare: createRecommender, refreshSeconds: 60 });
 * const recommender = await store.load();
 * store.startRefresh();
 */
export function createModelStore<T>(options: ModelStoreOptions<T>): ModelStore<T> {
  const location = parseModelUri(options.uri ?? SAGEMAKER_MODEL_DIR);
  const retry: RetryPolicy = { ...DEFAULT_RETRY, ...options.retry };
  const source: ArtifactSource =
    location.kind === 'local'
      ? localSource(location)
      : s3Source(location, options.s3 ?? createS3Client({ forcePathStyle: options.forcePathStyle }), retry, {
          ...DEFAULT_RANGED_GET,
          ...options.ranged,
        });
  const log = options.log ?? ((): void => {});
  const pinned = options.version;
  if (pinned !== undefined && !versionIdSchema.safeParse(pinned).success) {
    throw new ConfigInvalidError(
      `Pinned model version "${pinned}" is not a version id (like 20250101T102000Z-1a2b3c4d)`,
    );
  }

  let state: State<T> | undefined;
  let inFlight: Promise<T> | undefined;
  let refreshing: Promise<boolean> | undefined;
  let error: Error | undefined;
  // Tag of the last pointer fully handled (loaded, or refused as invalid); transient failures leave it so they retry.
  let handledTag: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let generation = 0;

  const activate = (loaded: LoadedModel, startedAt: number, tag: string | undefined): T => {
    const value = options.prepare(loaded);
    const previous = state?.loaded.version;
    // One assignment: readers see the old model or the new one, never a mix.
    state = { value, loaded };
    handledTag = tag;
    error = undefined;
    log({
      event: previous === undefined ? 'model_loaded' : 'model_swapped',
      uri: location.uri,
      version: loaded.version,
      ...(previous === undefined ? {} : { previousVersion: previous }),
      bytes: loaded.manifest.bundle.bytes,
      ms: Math.round(performance.now() - startedAt),
    });
    return value;
  };

  const firstLoad = async (): Promise<T> => {
    const startedAt = performance.now();
    try {
      if (pinned !== undefined)
        return activate(await fetchVersion(source, pointerFor(pinned), true), startedAt, undefined);
      const read = await source.readPointer();
      if (!read.changed) throw new ModelNotLoadedError(`No model published at ${location.uri}`);
      return activate(await fetchVersion(source, read.pointer, false), startedAt, read.tag);
    } catch (failure) {
      error = toError(failure);
      log({ event: 'model_load_failed', uri: location.uri, error: error.message });
      throw failure;
    }
  };

  const load = (): Promise<T> => {
    if (state) return Promise.resolve(state.value);
    inFlight ??= firstLoad().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };

  const refreshOnce = async (): Promise<boolean> => {
    if (!state) {
      return load().then(
        () => true,
        () => false,
      );
    }
    const startedAt = performance.now();
    let version: string | undefined;
    try {
      const read = await source.readPointer(handledTag);
      if (!read.changed) return false;
      version = read.pointer.version;
      if (version === state.loaded.version) {
        handledTag = read.tag;
        return false;
      }
      try {
        activate(await fetchVersion(source, read.pointer, false), startedAt, read.tag);
        return true;
      } catch (failure) {
        if (failure instanceof ArtifactInvalidError) handledTag = read.tag;
        throw failure;
      }
    } catch (failure) {
      error = toError(failure);
      log({
        event: 'model_refresh_failed',
        uri: location.uri,
        ...(version === undefined ? {} : { version }),
        servingVersion: state.loaded.version,
        error: error.message,
      });
      return false;
    }
  };

  const refreshNow = (): Promise<boolean> => {
    if (pinned !== undefined)
      return load().then(
        () => false,
        () => false,
      );
    refreshing ??= refreshOnce().finally(() => {
      refreshing = undefined;
    });
    return refreshing;
  };

  const schedule = (ms: number, run: number): void => {
    timer = setTimeout(() => {
      void refreshNow().finally(() => {
        if (run === generation) schedule(ms, run);
      });
    }, ms);
    timer.unref();
  };

  return {
    load,
    current: () => state?.value,
    version: () => state?.loaded.version,
    loaded: () => state?.loaded,
    lastError: () => error,
    refreshNow,
    startRefresh() {
      const seconds = options.refreshSeconds ?? 0;
      if (seconds <= 0 || pinned !== undefined || timer !== undefined) return;
      schedule(seconds * 1000, generation);
    },
    stop() {
      generation++;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
  };
}

/**
 * What a serving process builds its route context from: the config's limits and scoring settings,
 * the artifact root behind MODEL_URI, and a thread's cache of opened recommenders (one per version).
 * @module
 */
import type { RouteContext } from '../api/index.js';
import { ConfigInvalidError, type ModelNotLoadedError } from '../core/errors.js';
import type { Log } from '../core/log.js';
import type { Recommender } from '../recommender/index.js';
import {
  type ArtifactSource,
  openArtifactSource,
  resolveModelUri,
  type SourceOptions,
} from '../store/index.js';
import type { Config } from './config.js';
import { loadHandle, type ModelHandle } from './model-handle.js';
import { openModel } from './open-model.js';
import { createModelRuntime, type ModelRuntime } from './runtime.js';

/**
 * The runtime for `config`: MODEL_URI (or SageMaker's /opt/ml/model), the pin, refresh and retry
 * settings, and a loader placing each version for `slots` scoring threads.
 * @throws ConfigInvalidError when MODEL_URI is unusable or unset without /opt/ml/model
 */
export function runtimeFromConfig(
  config: Config,
  options: {
    log: Log;
    drive: 'timers' | 'requests';
    slots: number;
    source?: SourceOptions;
    uriFallback?: boolean;
  },
): ModelRuntime {
  const uri = config.modelUri ?? (options.uriFallback === false ? undefined : resolveModelUri({}));
  if (uri === undefined)
    throw new ConfigInvalidError('MODEL_URI is not set: set it to s3://bucket/prefix or a model directory');
  const source = openArtifactSource(uri, { forcePathStyle: config.s3ForcePathStyle, ...options.source });
  return createModelRuntime({
    source,
    version: config.modelVersion,
    refreshSeconds: config.modelRefreshSeconds,
    retryMaxSeconds: config.modelRetryMaxSeconds,
    load: (from, pointer, pinned) =>
      loadHandle(from, pointer, pinned, { slots: options.slots, preloadUsersBytes: config.userPreloadBytes }),
    log: options.log,
    drive: options.drive,
  });
}

/**
 * A thread's recommenders, opened once per version from the handles it is given; the previous
 * version stays open until the next one replaces it, so requests in flight finish on it.
 */
export class RecommenderCache {
  private readonly open = new Map<string, { rec: Recommender; release?: () => Promise<void> }>();
  private readonly sources = new Map<string, ArtifactSource>();

  constructor(
    private readonly config: Pick<Config, 'scoring' | 'annNprobe' | 'userCacheBytes' | 's3ForcePathStyle'>,
    private readonly slot: number,
    private readonly sourceOptions: SourceOptions = {},
  ) {}

  /** The recommender of `handle`, opening it on first use. */
  get(handle: ModelHandle): Recommender {
    let rec = this.open.get(handle.version)?.rec;
    if (!rec) {
      rec = openModel(handle, {
        slot: this.slot,
        scoring: { exact: this.config.scoring === 'exact', nprobe: this.config.annNprobe },
        userCacheBytes: this.config.userCacheBytes,
        sourceFor: (uri) => this.sourceFor(uri),
      });
      const users = handle.users;
      // A dropped version's users.bin handle is closed, or every publish would keep one file open.
      const release =
        users.kind === 'remote' ? () => this.sourceFor(users.uri).release(users.path) : undefined;
      this.open.set(handle.version, { rec, release });
    }
    return rec;
  }

  /** Forgets every version but `keep`, closing what their user sides keep open. */
  retain(keep: readonly string[]): void {
    for (const [version, { release }] of [...this.open]) {
      if (keep.includes(version)) continue;
      this.open.delete(version);
      void release?.().catch(() => undefined);
    }
  }

  private sourceFor(uri: string): ArtifactSource {
    let source = this.sources.get(uri);
    if (!source) {
      source = openArtifactSource(uri, {
        forcePathStyle: this.config.s3ForcePathStyle,
        ...this.sourceOptions,
      });
      this.sources.set(uri, source);
    }
    return source;
  }
}

/** A route context over a way to get the current recommender (or the 503 saying why there is none). */
export function routeContext(
  config: Pick<Config, 'maxK' | 'maxBatch'>,
  log: Log,
  current: () => Recommender | ModelNotLoadedError,
): RouteContext {
  return {
    model() {
      const rec = current();
      if (rec instanceof Error) throw rec;
      return rec;
    },
    env: { limits: { maxK: config.maxK, maxBatch: config.maxBatch }, log },
  };
}

/**
 * The in-memory recommender over one loaded model: recommendations for known users, fold-in for
 * unseen users, similar videos, popular videos, with exclusions, allow-lists and metadata filters.
 * Pure and transport-free: it takes typed values and throws only errors from src/errors.ts.
 * @module
 */
import { foldInUser, gramMatrix } from '../als/fold-in.js';
import { DEFAULT_K, DEFAULT_MAX_BATCH, DEFAULT_MAX_K, type Limits } from '../api/schemas.js';
import { InvalidRequestError, UnknownUserError, UnknownVideoError } from '../core/errors.js';
import type { AlsParams, ModelData } from '../core/model-data.js';
import { createDotKernel } from '../kernels/dot-kernel.js';
import {
  buildMetadataIndex,
  filterRows,
  intersectSorted,
  type MetadataFilter,
  type MetadataIndex,
  sortedUnique,
  unionAll,
} from '../ranking/metadata-index.js';
import { type TopK, topKDot, topKValues } from '../ranking/top-k.js';

export type { MetadataFilter } from '../ranking/metadata-index.js';

/** What the recommender is built from; the store's `LoadedModel` (src/artifact/decode.ts) satisfies it. */
export interface RecommenderSource {
  version: string;
  manifest: { params: Pick<AlsParams, 'alpha' | 'regularization' | 'cgSteps'> };
  model: ModelData;
}

/** Limits from config, and when to pay for fold-in's YᵀY. */
export interface RecommenderOptions extends Partial<Limits> {
  /**
   * Compute YᵀY now (default) rather than on the first fold-in request. It costs about
   * videos x factors² / 2 multiply-adds (~0.2 s for 100k x 64), which a Lambda cold start may defer.
   */
  precomputeFoldIn?: boolean;
}

/** Options shared by every kind of request. */
export interface SelectionOptions {
  /** how many to return (default 5, at most `limits.maxK`); fewer come back when fewer qualify */
  k?: number | undefined;
  /** video ids never returned */
  exclude?: readonly string[] | undefined;
  /** only these video ids may be returned */
  allow?: readonly string[] | undefined;
  /** metadata filter, applied before top-k */
  filter?: MetadataFilter | undefined;
  /** add title, tags, language, lengthSeconds to each result */
  includeMetadata?: boolean | undefined;
}

/** Options of user recommendations (known user or fold-in). */
export interface RecommendOptions extends SelectionOptions {
  /** also return videos the user already watched */
  keepWatched?: boolean | undefined;
  /** what an unknown user (or a watched list of only unknown videos) gets; default `none` -> 404 */
  fallback?: 'none' | 'popular' | undefined;
}

/** One watched video for fold-in; `weight` is a raw interaction value like training data (default 1). */
export interface WatchedVideo {
  videoId: string;
  weight?: number | undefined;
}

/** One recommended video. */
export interface ScoredVideo {
  videoId: string;
  score: number;
  title?: string;
  tags?: string[];
  language?: string;
  lengthSeconds?: number;
}

/** Results, best first, and where they came from. */
export interface RecommendResult {
  source: 'model' | 'fold-in' | 'popular' | 'similar';
  items: ScoredVideo[];
}

/** A loaded model ready to answer requests. */
export interface Recommender {
  readonly version: string;
  readonly limits: Limits;
  readonly counts: { users: number; videos: number; factors: number };
  hasUser(userId: string): boolean;
  hasVideo(videoId: string): boolean;
  /** Top k by dot product for a known user; UnknownUserError unless `fallback: 'popular'`. */
  recommendForUser(userId: string, options?: RecommendOptions): RecommendResult;
  /** Folds in an unseen user from watched videos, then recommends (watched left out). */
  recommendFromWatched(
    watched: readonly (string | WatchedVideo)[],
    options?: RecommendOptions,
  ): RecommendResult;
  /** Top k by cosine similarity of item factors, the video itself left out. */
  similarVideos(videoId: string, options?: SelectionOptions): RecommendResult;
  /** Most popular videos (summed interaction values in training). */
  popular(options?: SelectionOptions & { watched?: Int32Array }): RecommendResult;
}

/**
 * Builds a recommender over a loaded model: index maps, inverse item norms, YᵀY and metadata indexes
 * are computed once here.
 * @param source - a verified model (`decodeModel`'s LoadedModel)
 * @param options - MAX_K and MAX_BATCH from config; whether to precompute YᵀY
 * @example
 * const rec = createRecommender(decodeModel(manifest, bundle), { maxK: config.maxK, maxBatch: config.maxBatch });
 * rec.recommendForUser('u001', { k: 3 }).items; // [{ videoId: 'v005', score: 0.91 }, ...]
 */
export function createRecommender(source: RecommenderSource, options: RecommenderOptions = {}): Recommender {
  const { model } = source;
  const f = model.factors;
  const videoCount = model.videoIds.length;
  const fullLimits: Limits = {
    maxK: options.maxK ?? DEFAULT_MAX_K,
    maxBatch: options.maxBatch ?? DEFAULT_MAX_BATCH,
  };
  const userIndex = new Map(model.userIds.map((id, i) => [id, i]));
  const videoIndex = new Map(model.videoIds.map((id, i) => [id, i]));
  const inverseNorms = new Float32Array(videoCount);
  for (let v = 0; v < videoCount; v++) {
    let sq = 0;
    for (let j = v * f; j < (v + 1) * f; j++) sq += (model.itemFactors[j] as number) ** 2;
    inverseNorms[v] = sq > 0 ? 1 / Math.sqrt(sq) : 0;
  }
  // Scores via WebAssembly SIMD over a copy of the item factors: same bits, ~3x faster (bench/core.ts).
  const kernel = createDotKernel(model.itemFactors, f);
  let yty: Float64Array | undefined;
  const gram = (): Float64Array => {
    yty ??= gramMatrix(model.itemFactors, videoCount, f);
    return yty;
  };
  if (options.precomputeFoldIn !== false) gram();
  const foldIn = (rows: readonly number[], values: readonly number[]): Float32Array => {
    try {
      return foldInUser(model.itemFactors, f, gram(), rows, values, source.manifest.params);
    } catch (error) {
      // Requests are validated before this point: a fold-in failure is a model or code fault (500), not a 400.
      throw new Error('Fold-in failed', { cause: error });
    }
  };
  const metaIndex: MetadataIndex | undefined = model.metadata
    ? buildMetadataIndex(model.metadata)
    : undefined;

  const checkK = (k: number | undefined): number => {
    const value = k ?? DEFAULT_K;
    if (!Number.isInteger(value) || value < 1 || value > fullLimits.maxK) {
      const rule = `must be an integer between 1 and ${fullLimits.maxK}`;
      throw new InvalidRequestError(`Invalid request: k ${rule}`, [{ field: 'k', message: rule }]);
    }
    return value;
  };

  const rowsOf = (ids: readonly string[]): Int32Array => {
    const rows: number[] = [];
    for (const id of ids) {
      const row = videoIndex.get(id);
      if (row !== undefined) rows.push(row);
    }
    return sortedUnique(rows);
  };

  /** Candidate rows from allow-list and metadata filter; undefined means every video. */
  const candidatesOf = (options: SelectionOptions): Int32Array | undefined => {
    let rows = options.allow ? rowsOf(options.allow) : undefined;
    if (options.filter && (options.filter.language !== undefined || options.filter.tags !== undefined)) {
      if (!metaIndex) {
        const rule = 'cannot be used: this model carries no video metadata';
        throw new InvalidRequestError(`Invalid request: filter ${rule}`, [
          { field: 'filter', message: rule },
        ]);
      }
      const kept = filterRows(metaIndex, options.filter);
      if (kept) rows = rows ? intersectSorted(rows, kept) : kept;
    }
    return rows;
  };

  const excludedOf = (options: SelectionOptions, extra: Int32Array | undefined): Int32Array | undefined => {
    const listed = options.exclude?.length ? rowsOf(options.exclude) : undefined;
    if (listed && extra) return unionAll([listed, extra]);
    return listed ?? extra;
  };

  const toItems = (top: TopK, includeMetadata: boolean | undefined): ScoredVideo[] => {
    const items: ScoredVideo[] = [];
    for (let i = 0; i < top.indices.length; i++) {
      const row = top.indices[i] as number;
      const item: ScoredVideo = { videoId: model.videoIds[row] as string, score: top.scores[i] as number };
      const meta = includeMetadata ? model.metadata?.[row] : undefined;
      if (meta) {
        if (meta.title !== undefined) item.title = meta.title;
        if (meta.tags !== undefined) item.tags = [...meta.tags];
        if (meta.language !== undefined) item.language = meta.language;
        if (meta.lengthSeconds !== undefined) item.lengthSeconds = meta.lengthSeconds;
      }
      items.push(item);
    }
    return items;
  };

  const byVector = (
    vector: ArrayLike<number>,
    watched: Int32Array | undefined,
    options: RecommendOptions,
    source: RecommendResult['source'],
  ): RecommendResult => {
    const k = checkK(options.k);
    const top = topKDot(model.itemFactors, f, vector, k, {
      candidates: candidatesOf(options),
      excluded: excludedOf(options, options.keepWatched ? undefined : watched),
      kernel,
    });
    return { source, items: toItems(top, options.includeMetadata) };
  };

  const popular = (options: SelectionOptions & { watched?: Int32Array } = {}): RecommendResult => {
    const k = checkK(options.k);
    const top = topKValues(model.popularity, k, {
      candidates: candidatesOf(options),
      excluded: excludedOf(options, options.watched),
    });
    return { source: 'popular', items: toItems(top, options.includeMetadata) };
  };

  return {
    version: source.version,
    limits: fullLimits,
    counts: { users: model.userIds.length, videos: videoCount, factors: f },
    hasUser: (userId) => userIndex.has(userId),
    hasVideo: (videoId) => videoIndex.has(videoId),
    popular,

    recommendForUser(userId, options = {}) {
      const u = userIndex.get(userId);
      if (u === undefined) {
        if (options.fallback === 'popular') return popular(options);
        throw new UnknownUserError(userId);
      }
      const seen = model.seen.indices.subarray(model.seen.indptr[u], model.seen.indptr[u + 1]);
      return byVector(model.userFactors.subarray(u * f, (u + 1) * f), seen, options, 'model');
    },

    recommendFromWatched(watched, options = {}) {
      const rows: number[] = [];
      const values: number[] = [];
      const unknown: string[] = [];
      for (const entry of watched) {
        const { videoId, weight } = typeof entry === 'string' ? { videoId: entry, weight: undefined } : entry;
        const row = videoIndex.get(videoId);
        if (row === undefined) unknown.push(videoId);
        else {
          rows.push(row);
          values.push(weight ?? 1);
        }
      }
      const seen = sortedUnique(rows);
      if (rows.length === 0) {
        if (options.fallback === 'popular') return popular(options);
        throw new UnknownVideoError(unknown);
      }
      return byVector(foldIn(rows, values), seen, options, 'fold-in');
    },

    similarVideos(videoId, options = {}) {
      const v = videoIndex.get(videoId);
      if (v === undefined) throw new UnknownVideoError([videoId]);
      const k = checkK(options.k);
      const scale = inverseNorms[v] as number;
      const query = Float64Array.from(model.itemFactors.subarray(v * f, (v + 1) * f), (x) => x * scale);
      const top = topKDot(model.itemFactors, f, query, k, {
        candidates: candidatesOf(options),
        excluded: excludedOf(options, Int32Array.of(v)),
        rowScale: inverseNorms,
        kernel,
      });
      return { source: 'similar', items: toItems(top, options.includeMetadata) };
    },
  };
}

/**
 * The recommender over one loaded model: recommendations for known users, fold-in for unseen users,
 * similar videos, popular videos, with exclusions, allow-lists and metadata filters. Pure and
 * transport-free: it takes typed values and throws only errors from src/core/errors.ts.
 *
 * Scoring has two passes when the model carries an ANN index: the index picks the lists to scan
 * (first pass) and the rows in them are scored exactly in float32 (rerank), with more lists scanned
 * while filters leave fewer than k. `exact: true` scans every row: the oracle the tests compare with.
 * @module
 */

import { explainUser, foldInUser } from '../als/index.js';
import type { IndexInfo, ItemSideView } from '../artifact/index.js';
import { InvalidRequestError, UnknownUserError, UnknownVideoError } from '../core/errors.js';
import { idHash } from '../core/id-hash.js';
import { EXPLAIN_TOP } from '../core/limits.js';
import type { AlsParams, FittedWeighting } from '../core/model-data.js';
import type { DotKernel } from '../kernels/dot-kernel.js';
import {
  filterRows,
  intersectSorted,
  type MetadataFilter,
  probeLists,
  sortedHas,
  sortedUnique,
  type TopK,
  topKDot,
  topKDotLists,
  unionAll,
} from '../ranking/index.js';
import { featureCounts, metadataSimilar } from './metadata-similar.js';
import { type SimilarUser, similarUsers } from './similar-users.js';
import type { UserSide } from './user-side.js';
import { type ScoredVideo, videoMetaAt } from './video-meta.js';

export type { MetadataFilter } from '../ranking/index.js';
export type { SimilarUser } from './similar-users.js';
export type { ScoredVideo } from './video-meta.js';

/** One loaded model as a thread serves it. */
export interface ServingModel {
  version: string;
  params: Pick<AlsParams, 'alpha' | 'regularization' | 'cgSteps'>;
  index: IndexInfo;
  /** the similar-users index (absent: users are scanned) */
  userIndex?: IndexInfo | undefined;
  /** the weighting training applied, which fold-in and explanations apply to histories (absent: none) */
  weighting?: FittedWeighting | undefined;
  items: ItemSideView;
  users: UserSide;
  /** this thread's kernels over the memory that holds the item side; absent: the JS loops */
  kernels?: { items: DotKernel; centroids?: DotKernel | undefined } | undefined;
}

/** How to score. */
export interface ScoringOptions {
  /** lists probed per query (default: the manifest's, chosen at training for recall@10 >= 0.995) */
  nprobe?: number | undefined;
  /** scan every video: exact, the test oracle */
  exact?: boolean | undefined;
}

/** Options shared by every kind of request; `k` is already validated by the API layer. */
export interface SelectionOptions {
  /** how many to return; fewer come back when fewer qualify */
  k: number;
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
  /** add `because` to each result: the watched videos that contributed most (model and fold-in only) */
  explain?: boolean | undefined;
}

/** One watched video for fold-in; `weight` is a raw interaction value like training data (default 1). */
export interface WatchedVideo {
  videoId: string;
  weight?: number | undefined;
}

/** Results, best first, and where they came from. */
export interface RecommendResult {
  source: 'model' | 'fold-in' | 'popular' | 'similar' | 'metadata';
  items: ScoredVideo[];
}

/** One user's recommendations, as the batch export writes them. */
export interface UserRecommendations {
  userId: string;
  items: ScoredVideo[];
}

/** A loaded model ready to answer requests. */
export interface Recommender {
  readonly version: string;
  readonly counts: { users: number | undefined; videos: number; factors: number };
  readonly index: IndexInfo;
  /** Top k by dot product for a known user; UnknownUserError unless `fallback: 'popular'`. */
  recommendForUser(userId: string, options: RecommendOptions): Promise<RecommendResult>;
  /** Folds in an unseen user from watched videos, then recommends (watched left out). */
  recommendFromWatched(
    watched: readonly (string | WatchedVideo)[],
    options: RecommendOptions,
  ): RecommendResult;
  /**
   * Top k by cosine similarity of item factors, the video itself left out; for a video with metadata
   * but no interactions, by shared tags and language (`source: 'metadata'`).
   */
  similarVideos(videoId: string, options: SelectionOptions): RecommendResult;
  /** The k users with the most similar factors (cosine), the user left out. */
  similarUsers(userId: string, options: { k: number }): Promise<SimilarUser[]>;
  /** How many user blocks the model has (the unit of {@link recommendBlock}). */
  readonly userBlocks: number;
  /** Recommendations for every user of user block `b` (0 <= b < userBlocks), in block order. */
  recommendBlock(b: number, options: RecommendOptions): Promise<UserRecommendations[]>;
  /** Most popular videos (distinct users per video in training). */
  popular(options: SelectionOptions & { watched?: Int32Array | undefined }): RecommendResult;
}

function checkK(k: number): void {
  // The API layer validated k against MAX_K; a bad one here is a caller bug, not a client error.
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
}

/** Scoring over one model's item side: candidate rows, exclusions, ranking (ANN or exact), results. */
class ItemScoring {
  private readonly f: number;
  private readonly ivf: (NonNullable<ItemSideView['ivf']> & { dim: number }) | undefined;
  private readonly nprobe: number;
  /** A filtered candidate list shorter than what the probe would scan is cheaper to score exactly. */
  private readonly exactBelow: number;

  constructor(
    private readonly model: ServingModel,
    scoring: ScoringOptions,
  ) {
    const { items } = model;
    this.f = items.factors;
    this.ivf = !scoring.exact && items.ivf ? { ...items.ivf, dim: items.factors } : undefined;
    this.nprobe = scoring.nprobe ?? (model.index.kind === 'ivf' ? model.index.nprobe : 1);
    this.exactBelow = this.ivf
      ? Math.ceil((this.nprobe * items.videos) / this.ivf.lists)
      : Number.POSITIVE_INFINITY;
  }

  rowsOf(ids: readonly string[]): Int32Array {
    const rows: number[] = [];
    for (const id of ids) {
      const row = this.model.items.videoIds.indexOf(id);
      if (row >= 0) rows.push(row);
    }
    return sortedUnique(rows);
  }

  /** Candidate rows from allow-list and metadata filter; undefined means every video. */
  candidatesOf(options: SelectionOptions): Int32Array | undefined {
    let rows = options.allow ? this.rowsOf(options.allow) : undefined;
    const filter = options.filter;
    if (filter && (filter.language !== undefined || filter.tags !== undefined)) {
      const metadata = this.model.items.metadata;
      if (!metadata) {
        const rule = 'cannot be used: this model carries no video metadata';
        throw new InvalidRequestError(`Invalid request: filter ${rule}`, [
          { field: 'filter', message: rule },
        ]);
      }
      const kept = filterRows(metadata, filter);
      if (kept) rows = rows ? intersectSorted(rows, kept) : kept;
    }
    return rows;
  }

  excludedOf(options: SelectionOptions, extra: Int32Array | undefined): Int32Array | undefined {
    const listed = options.exclude?.length ? this.rowsOf(options.exclude) : undefined;
    if (listed && extra) return unionAll([listed, extra]);
    return listed ?? extra;
  }

  toItems(top: TopK, includeMetadata: boolean | undefined): ScoredVideo[] {
    const { items } = this.model;
    const out: ScoredVideo[] = [];
    for (let i = 0; i < top.indices.length; i++) {
      const row = top.indices[i] as number;
      const item: ScoredVideo = { videoId: items.videoIds.idAt(row), score: top.scores[i] as number };
      if (includeMetadata && items.metadata) Object.assign(item, videoMetaAt(items.metadata, row));
      out.push(item);
    }
    return out;
  }

  /** The k best rows for `query`: the probed ANN lists scored exactly, or every candidate. */
  rank(
    query: ArrayLike<number>,
    k: number,
    select: { candidates: Int32Array | undefined; excluded: Int32Array | undefined; rowScale?: Float32Array },
  ): TopK {
    checkK(k);
    const { items, kernels } = this.model;
    const options = { ...select, kernel: kernels?.items };
    if (!this.ivf || (select.candidates && select.candidates.length <= this.exactBelow)) {
      return topKDot(items.itemFactors, this.f, query, k, options);
    }
    const lists = probeLists(this.ivf, query, this.nprobe, kernels?.centroids);
    return topKDotLists(items.itemFactors, this.f, query, k, lists, options);
  }

  byVector(
    vector: ArrayLike<number>,
    history: History,
    options: RecommendOptions,
    source: RecommendResult['source'],
  ): RecommendResult {
    const top = this.rank(vector, options.k, {
      candidates: this.candidatesOf(options),
      excluded: this.excludedOf(options, options.keepWatched ? undefined : history.rows),
    });
    const items = this.toItems(top, options.includeMetadata);
    if (options.explain) this.explain(items, top, history);
    return { source, items };
  }

  /** Adds `because` to each result: implicit's `explain` over the user's history. */
  private explain(items: ScoredVideo[], top: TopK, history: History): void {
    const { items: side, params, weighting } = this.model;
    let explainer: ReturnType<typeof explainUser>;
    try {
      explainer = explainUser(
        side.itemFactors,
        this.f,
        side.gram,
        history.items,
        history.values,
        params,
        weighting,
      );
    } catch (error) {
      throw new Error('Explanation failed', { cause: error });
    }
    items.forEach((item, i) => {
      const { top: shares } = explainer.explain(top.indices[i] as number, EXPLAIN_TOP);
      item.because = shares.map((s) => ({
        videoId: side.videoIds.idAt(s.item),
        contribution: s.contribution,
      }));
    });
  }

  /** Walks the stored popularity order: O(k + skipped rows), not a scan of the catalogue. */
  popular(options: SelectionOptions & { watched?: Int32Array | undefined }): RecommendResult {
    checkK(options.k);
    const { items } = this.model;
    const candidates = this.candidatesOf(options);
    const excluded = this.excludedOf(options, options.watched);
    const indices: number[] = [];
    const scores: number[] = [];
    for (const row of items.popularityOrder) {
      if (indices.length >= options.k) break;
      if (sortedHas(excluded, row) || (candidates && !sortedHas(candidates, row))) continue;
      indices.push(row);
      scores.push(items.popularity[row] as number);
    }
    const top = { indices: Int32Array.from(indices), scores: Float64Array.from(scores) };
    return { source: 'popular', items: this.toItems(top, options.includeMetadata) };
  }

  /** Fold-in: a user's factors from watched videos; the rows found, or the ids not found. */
  foldIn(
    watched: readonly (string | WatchedVideo)[],
  ): { vector: Float32Array; history: History } | { unknown: string[] } {
    const { items } = this.model;
    const rows: number[] = [];
    const values: number[] = [];
    const unknown: string[] = [];
    for (const entry of watched) {
      const { videoId, weight } = typeof entry === 'string' ? { videoId: entry, weight: undefined } : entry;
      const row = items.videoIds.indexOf(videoId);
      if (row < 0) unknown.push(videoId);
      else {
        rows.push(row);
        values.push(weight ?? 1);
      }
    }
    if (rows.length === 0) return { unknown };
    try {
      const { params, weighting } = this.model;
      return {
        vector: foldInUser(items.itemFactors, this.f, items.gram, rows, values, params, weighting),
        history: { rows: sortedUnique(rows), items: rows, values },
      };
    } catch (error) {
      // Requests are validated before this point: a fold-in failure is a model or code fault (500).
      throw new Error('Fold-in failed', { cause: error });
    }
  }

  similar(videoId: string, options: SelectionOptions): RecommendResult {
    const { items } = this.model;
    const f = this.f;
    const v = items.videoIds.indexOf(videoId);
    if (v < 0) return this.similarByMetadata(videoId, options);
    const scale = items.inverseNorms[v] as number;
    const query = Float64Array.from(items.itemFactors.subarray(v * f, (v + 1) * f), (x) => x * scale);
    const top = this.rank(query, options.k, {
      candidates: this.candidatesOf(options),
      excluded: this.excludedOf(options, Int32Array.of(v)),
      rowScale: items.inverseNorms,
    });
    return { source: 'similar', items: this.toItems(top, options.includeMetadata) };
  }

  private counts: Uint16Array | undefined;

  /** A video with metadata but no interactions: similar by shared tags and language. */
  private similarByMetadata(videoId: string, options: SelectionOptions): RecommendResult {
    const { items } = this.model;
    const cold = items.cold?.videoIds.indexOf(videoId) ?? -1;
    if (cold < 0 || !items.metadata) throw new UnknownVideoError([videoId]);
    checkK(options.k);
    this.counts ??= featureCounts(items.metadata, items.videos);
    const top = metadataSimilar(items, cold, this.counts, {
      k: options.k,
      candidates: this.candidatesOf(options),
      excluded: this.excludedOf(options, undefined),
    });
    return { source: 'metadata', items: this.toItems(top, options.includeMetadata) };
  }
}

/** A user's watch history: rows to leave out (ascending) and the raw values explanations weigh. */
interface History {
  rows: Int32Array;
  items: ArrayLike<number>;
  values: ArrayLike<number>;
}

/**
 * Builds a recommender over a loaded model; cheap (views only), so every thread builds its own.
 * @example
 * const rec = createRecommender(model);
 * (await rec.recommendForUser('u001', { k: 3 })).items; // [{ videoId: 'v005', score: 0.91 }, ...]
 */
export function createRecommender(model: ServingModel, scoring: ScoringOptions = {}): Recommender {
  const s = new ItemScoring(model, scoring);
  const index = model.userIndex;
  const userIndex =
    !scoring.exact && index?.kind === 'ivf' && model.items.userIvf
      ? {
          centroids: model.items.userIvf.centroids,
          lists: index.lists,
          dim: model.items.factors,
          nprobe: index.nprobe,
        }
      : undefined;
  const known = (
    entry: { factors: Float32Array; items: Int32Array; values: Float32Array },
    options: RecommendOptions,
  ) =>
    s.byVector(
      entry.factors,
      { rows: entry.items, items: entry.items, values: entry.values },
      options,
      'model',
    );
  return {
    version: model.version,
    counts: { users: undefined, videos: model.items.videos, factors: model.items.factors },
    index: model.index,
    popular: (options) => s.popular(options),
    async recommendForUser(userId, options) {
      const entry = await model.users.lookup(userId);
      if (entry) return known(entry, options);
      if (options.fallback === 'popular') return s.popular(options);
      throw new UnknownUserError(userId);
    },
    recommendFromWatched(watched, options) {
      const folded = s.foldIn(watched);
      if ('vector' in folded) return s.byVector(folded.vector, folded.history, options, 'fold-in');
      if (options.fallback === 'popular') return s.popular(options);
      throw new UnknownVideoError(folded.unknown);
    },
    similarVideos: (videoId, options) => s.similar(videoId, options),
    similarUsers(userId, options) {
      checkK(options.k);
      return similarUsers(model.users, userIndex, userId, idHash(userId), options.k);
    },
    userBlocks: model.users.blocks,
    async recommendBlock(b, options) {
      const block = await model.users.block(b);
      return Array.from({ length: block.n }, (_, i) => ({
        userId: block.idAt(i),
        items: known(block.entry(i), options).items,
      }));
    },
  };
}

/**
 * The in-memory form of a trained model: what training produces, what the artifact format stores,
 * and what the recommender serves from. Arrays may be views onto one loaded bundle buffer.
 * @module
 */

/** Compressed sparse rows: row r owns `indices[indptr[r]..indptr[r+1])`, column indices ascending. */
export interface Csr {
  rows: number;
  cols: number;
  indptr: Int32Array;
  indices: Int32Array;
  data: Float32Array;
}

/** Optional per-video metadata carried in the bundle and returned in responses when asked. */
export interface VideoMeta {
  title?: string;
  lengthSeconds?: number;
  tags?: string[];
  language?: string;
  likes?: number;
  views?: number;
}

/** Training hyper-parameters, stored in the manifest and needed at serve time for fold-in. */
export interface AlsParams {
  factors: number;
  regularization: number;
  alpha: number;
  iterations: number;
  cgSteps: number;
  threads: number;
  seed: number;
}

/** A confidence weighting as chosen (src/als/weighting.ts holds the definitions). */
export type Weighting = { scheme: 'none' } | { scheme: 'tfidf' } | { scheme: 'bm25'; k1: number; b: number };

/** A weighting fitted to one matrix: everything needed to weigh any user's row the same way. */
export interface FittedWeighting {
  weighting: Weighting;
  /** N: the number of items */
  items: number;
  /** bm25: length_norm per item (float64); absent for the other schemes */
  itemNorms?: Float64Array | undefined;
}

/** Videos of the metadata file that have no interactions: served similar videos by metadata. */
export interface ColdVideos {
  ids: readonly string[];
  metadata: readonly VideoMeta[];
}

export interface ModelData {
  factors: number;
  /** index -> external id, as strings exactly as read from the input */
  userIds: readonly string[];
  videoIds: readonly string[];
  /** users x factors, row-major float32 */
  userFactors: Float32Array;
  /** videos x factors, row-major float32 */
  itemFactors: Float32Array;
  /** user x video summed interaction values (before alpha), the "already watched" sets */
  seen: Csr;
  /** per video: number of distinct users who interacted with it (`videoPopularity`, src/core/popularity.ts) */
  popularity: Float32Array;
  /** per video metadata (null entries for videos without it), or null when no metadata file was given */
  metadata: readonly (VideoMeta | null)[] | null;
  /** the weighting training applied to `seen` (absent: none); fold-in and explanations apply it too */
  weighting?: FittedWeighting | undefined;
  /** videos with metadata but no interactions (absent: none) */
  coldVideos?: ColdVideos | undefined;
}

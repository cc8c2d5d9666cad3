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
}

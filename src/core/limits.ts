/**
 * The bounds of a request, owned by the core: what `k`, lists and ids may be. The API layer turns
 * them into validation rules (src/api/schemas.ts); config may lower or raise the maxima.
 * @module
 */

/** `k` when a request does not say. */
export const DEFAULT_K = 5;
/** Largest `k` unless MAX_K says otherwise. */
export const DEFAULT_MAX_K = 100;
/** Most requests in one batch unless MAX_BATCH says otherwise. */
export const DEFAULT_MAX_BATCH = 1000;
/** Most ids in a `watched`, `exclude` or `allow` list. */
export const MAX_ID_LIST = 10_000;
/** Longest user or video id, in characters. */
export const MAX_ID_LENGTH = 256;
/** Watched videos listed in a recommendation's `because` (`explain`): the largest contributions. */
export const EXPLAIN_TOP = 3;

/** Limits that shape validation; a serving process takes them from config. */
export interface Limits {
  maxK: number;
  maxBatch: number;
}

/** The limits when config says nothing. */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxK: DEFAULT_MAX_K,
  maxBatch: DEFAULT_MAX_BATCH,
});

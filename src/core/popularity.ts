/**
 * The one definition of video popularity: how many distinct users interacted with a video. The model
 * artifact stores it (the served popular-videos fallback ranks by it) and the offline evaluation's
 * most-popular baseline ranks by it, as the `implicit` library's baseline does, so the reference
 * figures of ../shared/EVAL.md compare directly.
 * @module
 */

import type { Csr } from './model-data.js';

/**
 * Number of distinct users (rows) with a stored entry for each video (column), whatever the entry's
 * value: a user who watched a video ten times counts once, like a user who watched it once.
 * @param seen - user x video interactions (canonical CSR: column indices ascending within a row;
 *   a repeated index in a row still counts once).
 * @returns One count per video, as float32 (exact up to 2^24 users, the artifact's dtype).
 * @example
 * // users 0 and 1 both watched video 2; user 1 watched video 0 five times
 * videoPopularity(seen); // Float32Array [1, 0, 2]
 */
export function videoPopularity(seen: Csr): Float32Array {
  const counts = new Float32Array(seen.cols);
  const { indptr, indices } = seen;
  for (let row = 0; row < seen.rows; row++) {
    const start = indptr[row] as number;
    const end = indptr[row + 1] as number;
    for (let p = start; p < end; p++) {
      const video = indices[p] as number;
      if (p > start && video === indices[p - 1]) continue;
      counts[video] = (counts[video] as number) + 1;
    }
  }
  return counts;
}

/**
 * Interactions with structure for tuning and evaluation tests: users in taste groups, each group
 * watching mostly its own block of videos, so settings that fit the structure score better.
 * @module
 */
import { csrFromTriples } from '../../src/core/csr.js';
import type { Csr } from '../../src/core/model-data.js';
import { createRng } from '../../src/core/random.js';

/** Users `u000..`, videos `v000..`, the summed matrix and a timestamp per pair. */
export interface TasteGroups {
  userIds: string[];
  videoIds: string[];
  matrix: Csr;
  lastTimestamp: Float64Array;
}

/**
 * `users` users in `groups` groups over `videos` videos; each user watches `perUser` distinct videos,
 * 80 % from the group's block, values 1..3, times increasing along the user's history.
 */
export function tasteGroups(users = 120, videos = 40, groups = 4, perUser = 12, seed = 3): TasteGroups {
  const rng = createRng(seed);
  const block = Math.floor(videos / groups);
  const rows: number[] = [];
  const cols: number[] = [];
  const values: number[] = [];
  const times = new Map<string, number>();
  for (let u = 0; u < users; u++) {
    const group = u % groups;
    const seen = new Set<number>();
    while (seen.size < perUser) {
      const own = rng() < 0.8;
      const v = own ? group * block + Math.floor(rng() * block) : Math.floor(rng() * videos);
      if (seen.has(v)) continue;
      seen.add(v);
      rows.push(u);
      cols.push(v);
      values.push(1 + Math.floor(rng() * 3));
      times.set(`${u}/${v}`, seen.size * 1000 + u);
    }
  }
  const matrix = csrFromTriples(
    users,
    videos,
    Int32Array.from(rows),
    Int32Array.from(cols),
    Float32Array.from(values),
  );
  const lastTimestamp = new Float64Array(matrix.indices.length);
  for (let u = 0; u < users; u++)
    for (let p = matrix.indptr[u] as number; p < (matrix.indptr[u + 1] as number); p++)
      lastTimestamp[p] = times.get(`${u}/${matrix.indices[p]}`) ?? 0;
  const pad = (n: number): string => String(n).padStart(3, '0');
  return {
    userIds: Array.from({ length: users }, (_, i) => `u${pad(i)}`),
    videoIds: Array.from({ length: videos }, (_, i) => `v${pad(i)}`),
    matrix,
    lastTimestamp,
  };
}

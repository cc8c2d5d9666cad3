/**
 * A seeded synthetic model shaped like a trained one at catalogue scale, for the ANN tests: items and
 * users drawn around a few dozen "taste group" directions, item norms following a power law (a few
 * very popular items with long vectors, a long tail of short ones), as ALS item factors do.
 *
 * The default norm range (largest 5x the smallest) is already wider than ALS gives: on MovieLens 100K
 * (32 factors, alpha 40) the largest item norm is 1.8x the median. With a 20x range the IVF index
 * of src/ranking/ivf.ts needs almost every list to reach recall@10 0.995 (nprobe 121..140 of 141 at
 * 20k items): the few long vectors lead every user's top 10 but sit in lists whose centroids score low.
 * @module
 */
import type { Csr, ModelData, VideoMeta } from '../../src/core/model-data.js';
import { createRng, type Rng } from '../../src/core/random.js';

/** Shape of the synthetic model; every field has a default. */
export interface ClusteredOptions {
  items?: number;
  users?: number;
  factors?: number;
  groups?: number;
  seed?: number;
  /** per-coordinate spread of items around their group's direction; default 0.1 */
  itemNoise?: number;
  /** per-coordinate spread of users; default 0.1 */
  userNoise?: number;
  /** Pareto exponent of item norms (smaller: heavier tail); default 2.5 */
  normExponent?: number;
  /** largest item norm as a multiple of the smallest; default 5 */
  normCap?: number;
}

/** Item and user vectors of a clustered model, and the group each was drawn from. */
export interface ClusteredVectors {
  factors: number;
  items: Float32Array;
  users: Float32Array;
  itemGroup: Int32Array;
  userGroup: Int32Array;
}

function gaussian(rng: Rng): number {
  // Box-Muller; 1 - rng() is in (0, 1], so the log is finite.
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

/** A unit vector around `center` (length dim), spread by `noise`, written at `out[at..]`. */
function around(
  center: Float64Array,
  noise: number,
  rng: Rng,
  scale: number,
  out: Float32Array,
  at: number,
): void {
  const dim = center.length;
  const v = new Float64Array(dim);
  let sq = 0;
  for (let j = 0; j < dim; j++) {
    v[j] = (center[j] as number) + noise * gaussian(rng);
    sq += (v[j] as number) ** 2;
  }
  const s = scale / Math.sqrt(sq);
  for (let j = 0; j < dim; j++) out[at + j] = (v[j] as number) * s;
}

/**
 * Item and user vectors: `groups` random unit directions; each item is a noisy copy of its group's
 * direction with a power-law norm (Pareto, `normExponent` 2.5, capped at `normCap` 5x the smallest); each user a
 * noisy copy of its group's direction, mixed with a second group's for a third of the users.
 */
export function clusteredVectors(options: ClusteredOptions = {}): ClusteredVectors {
  const items = options.items ?? 20_000;
  const users = options.users ?? 2_000;
  const dim = options.factors ?? 32;
  const groups = options.groups ?? 50;
  const itemNoise = options.itemNoise ?? 0.1;
  const userNoise = options.userNoise ?? 0.1;
  const normExponent = options.normExponent ?? 2.5;
  const normCap = options.normCap ?? 5;
  const rng = createRng(options.seed ?? 7);
  const centers = Array.from({ length: groups }, () => {
    const c = new Float64Array(dim);
    let sq = 0;
    for (let j = 0; j < dim; j++) {
      c[j] = gaussian(rng);
      sq += (c[j] as number) ** 2;
    }
    for (let j = 0; j < dim; j++) c[j] = (c[j] as number) / Math.sqrt(sq);
    return c;
  });
  const itemVectors = new Float32Array(items * dim);
  const itemGroup = new Int32Array(items);
  for (let i = 0; i < items; i++) {
    const g = Math.floor(rng() * groups);
    itemGroup[i] = g;
    const norm = Math.min(normCap, (1 - rng()) ** (-1 / normExponent)) * 0.1;
    around(centers[g] as Float64Array, itemNoise, rng, norm, itemVectors, i * dim);
  }
  const userVectors = new Float32Array(users * dim);
  const userGroup = new Int32Array(users);
  const mixed = new Float64Array(dim);
  for (let u = 0; u < users; u++) {
    const g = Math.floor(rng() * groups);
    userGroup[u] = g;
    const center = centers[g] as Float64Array;
    if (u % 3 === 0) {
      const other = centers[Math.floor(rng() * groups)] as Float64Array;
      for (let j = 0; j < dim; j++) mixed[j] = 0.7 * (center[j] as number) + 0.3 * (other[j] as number);
      around(mixed, userNoise, rng, 1 + rng(), userVectors, u * dim);
    } else around(center, userNoise, rng, 1 + rng(), userVectors, u * dim);
  }
  return { factors: dim, items: itemVectors, users: userVectors, itemGroup, userGroup };
}

/** Languages of the synthetic catalogue: `rare` is kept by 1% of videos. */
export const CLUSTERED_LANGUAGES = ['en', 'es', 'fr', 'rare'] as const;

/**
 * A whole ModelData over {@link clusteredVectors}: ids `u<n>` / `v<n>`, each user having watched
 * 10 videos of their group, popularity = distinct watchers, metadata with a language per video
 * (`rare` on every 100th video, else en/es/fr by index) and a group tag `g<n>`.
 */
export function clusteredModel(options: ClusteredOptions = {}): ModelData & { vectors: ClusteredVectors } {
  const vectors = clusteredVectors(options);
  const dim = vectors.factors;
  const items = vectors.itemGroup.length;
  const users = vectors.userGroup.length;
  const rng = createRng((options.seed ?? 7) + 1);
  const byGroup = new Map<number, number[]>();
  vectors.itemGroup.forEach((g, i) => {
    const list = byGroup.get(g) ?? [];
    list.push(i);
    byGroup.set(g, list);
  });
  const indptr = new Int32Array(users + 1);
  const indices: number[] = [];
  const popularity = new Float32Array(items);
  for (let u = 0; u < users; u++) {
    const pool = byGroup.get(vectors.userGroup[u] as number) ?? [];
    const watched = new Set<number>();
    while (watched.size < Math.min(10, pool.length))
      watched.add(pool[Math.floor(rng() * pool.length)] as number);
    const sorted = [...watched].sort((a, b) => a - b);
    for (const i of sorted) popularity[i] = (popularity[i] as number) + 1;
    indices.push(...sorted);
    indptr[u + 1] = indices.length;
  }
  const seen: Csr = {
    rows: users,
    cols: items,
    indptr,
    indices: Int32Array.from(indices),
    data: new Float32Array(indices.length).fill(1),
  };
  const metadata: VideoMeta[] = Array.from({ length: items }, (_, i) => ({
    title: `Video ${i}`,
    language: i % 100 === 0 ? 'rare' : (['en', 'es', 'fr'][i % 3] as string),
    tags: [`g${vectors.itemGroup[i]}`],
  }));
  return {
    factors: dim,
    userIds: Array.from({ length: users }, (_, u) => `u${u}`),
    videoIds: Array.from({ length: items }, (_, i) => `v${i}`),
    userFactors: vectors.users,
    itemFactors: vectors.items,
    seen,
    popularity,
    metadata,
    vectors,
  };
}

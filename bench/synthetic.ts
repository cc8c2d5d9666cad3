/**
 * Seeded synthetic interaction set for speed benchmarks: by default 100,000 users x 20,000 items x
 * 5,000,000 distinct interactions, with power-law (Zipf) item popularity and log-normal user
 * activity, values 1, 3 or 4 (a watch, plus a like (+2) or a completion (+3) for some). Reused by other benches.
 * @module
 */

import { csrFromTriples } from '../src/core/csr.js';
import type { Csr } from '../src/core/model-data.js';
import { createRng } from '../src/core/random.js';

/** Shape and randomness of a synthetic set. */
export interface SyntheticOptions {
  users: number;
  items: number;
  interactions: number;
  /** Zipf exponent of item popularity (item of rank r drawn with weight r^-s). */
  zipf: number;
  seed: number;
}

/** The benchmark set of shared/EVAL.md. */
export const SYNTHETIC_DEFAULTS: SyntheticOptions = {
  users: 100_000,
  items: 20_000,
  interactions: 5_000_000,
  zipf: 0.9,
  seed: 42,
};

function gaussian(rng: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

/** Per-user interaction counts: log-normal activity scaled to sum to exactly `total`. */
function userCounts(o: SyntheticOptions, rng: () => number): Int32Array {
  const raw = new Float64Array(o.users);
  let sum = 0;
  for (let u = 0; u < o.users; u++) {
    raw[u] = Math.exp(0.8 * gaussian(rng));
    sum += raw[u] as number;
  }
  const cap = Math.floor(o.items / 2);
  const counts = new Int32Array(o.users);
  let assigned = 0;
  for (let u = 0; u < o.users; u++) {
    const n = Math.min(cap, Math.max(1, Math.floor(((raw[u] as number) * o.interactions) / sum)));
    counts[u] = n;
    assigned += n;
  }
  // Hand out (or take back) the rounding remainder one by one, skipping users at a bound.
  for (let u = 0; assigned !== o.interactions; u = (u + 1) % o.users) {
    const n = counts[u] as number;
    if (assigned < o.interactions && n < cap) {
      counts[u] = n + 1;
      assigned++;
    } else if (assigned > o.interactions && n > 1) {
      counts[u] = n - 1;
      assigned--;
    }
  }
  return counts;
}

/**
 * Generates the set as a user x item CSR of summed values (deterministic for a seed).
 * @param options - Overrides of {@link SYNTHETIC_DEFAULTS}.
 */
export function syntheticInteractions(options: Partial<SyntheticOptions> = {}): Csr {
  const o = { ...SYNTHETIC_DEFAULTS, ...options };
  if (o.interactions > (o.users * o.items) / 2) throw new RangeError('Too many interactions for the shape');
  const rng = createRng(o.seed);
  // Popularity ranks are shuffled onto item ids so that popular items are spread over the index range.
  const rankToItem = new Int32Array(o.items);
  for (let i = 0; i < o.items; i++) rankToItem[i] = i;
  for (let i = o.items - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = rankToItem[i] as number;
    rankToItem[i] = rankToItem[j] as number;
    rankToItem[j] = t;
  }
  const cdf = new Float64Array(o.items);
  let acc = 0;
  for (let r = 0; r < o.items; r++) {
    acc += (r + 1) ** -o.zipf;
    cdf[r] = acc;
  }
  const counts = userCounts(o, rng);
  const rows = new Int32Array(o.interactions);
  const cols = new Int32Array(o.interactions);
  const vals = new Float32Array(o.interactions);
  // mark[item] === user + 1 when the user already has it: distinct items per user without a Set.
  const mark = new Int32Array(o.items);
  let t = 0;
  for (let u = 0; u < o.users; u++) {
    const n = counts[u] as number;
    for (let got = 0; got < n; ) {
      const target = rng() * acc;
      let lo = 0;
      let hi = o.items - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((cdf[mid] as number) < target) lo = mid + 1;
        else hi = mid;
      }
      const item = rankToItem[lo] as number;
      if (mark[item] === u + 1) continue;
      mark[item] = u + 1;
      rows[t] = u;
      cols[t] = item;
      // watch = 1 always; like (+2) and complete (+3) sometimes.
      const x = rng();
      vals[t] = 1 + (x < 0.3 ? 2 : 0) + (x > 0.6 ? 3 : 0);
      t++;
      got++;
    }
  }
  return csrFromTriples(o.users, o.items, rows, cols, vals);
}

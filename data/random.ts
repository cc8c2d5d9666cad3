/**
 * A small seeded random number generator and the samplers the sample generator draws from. Only
 * 32-bit integer arithmetic feeds the stream, so a seed gives the same numbers on every platform.
 * @module
 */

import { splitmix32 } from '../src/core/random.js';

/** Seeded random source (sfc32, seeded through splitmix32). */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number;
  /** Standard normal (Box-Muller). */
  normal(): number;
  /** Index drawn with probability proportional to `weights[i]`. */
  pick(weights: ArrayLike<number>): number;
}

/**
 * Creates a random source.
 * @param seed - Any 32-bit integer; the same seed gives the same sequence.
 */
export function createRandom(seed: number): Random {
  const init = splitmix32(seed);
  let a = init();
  let b = init();
  let c = init();
  let d = init();
  const u32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  // Warm-up: the first outputs of sfc32 are still close to the seed words.
  for (let i = 0; i < 12; i++) u32();
  const next = (): number => u32() / 4294967296;
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    normal: () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next()),
    pick(weights) {
      let total = 0;
      for (let i = 0; i < weights.length; i++) total += weights[i] as number;
      let r = next() * total;
      for (let i = 0; i < weights.length; i++) {
        r -= weights[i] as number;
        if (r < 0) return i;
      }
      return weights.length - 1;
    },
  };
}

/** Running sums of `weights`, for repeated draws with {@link drawCumulative}. */
export function cumulative(weights: ArrayLike<number>): Float64Array {
  const out = new Float64Array(weights.length);
  let sum = 0;
  for (let i = 0; i < weights.length; i++) {
    sum += weights[i] as number;
    out[i] = sum;
  }
  return out;
}

/** Draws an index with probability proportional to its weight, by binary search over running sums. */
export function drawCumulative(random: Random, sums: Float64Array): number {
  const r = random.next() * (sums[sums.length - 1] as number);
  let lo = 0;
  let hi = sums.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sums[mid] as number) > r) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

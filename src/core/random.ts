/**
 * Seeded pseudo-random numbers for reproducible factor initialisation.
 * @module
 */

/** A source of uniform floats in [0, 1). */
export type Rng = () => number;

/**
 * Creates a seeded generator (xoshiro128** seeded through splitmix32): fast, 32-bit state words,
 * and the same sequence on every platform for the same seed.
 * @param seed - Any integer; only its low 32 bits are used.
 */
export function createRng(seed: number): Rng {
  let s = seed >>> 0;
  const next = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = next();
  let b = next();
  let c = next();
  let d = next();
  if ((a | b | c | d) === 0) a = 1;
  return (): number => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    // 2^-32 keeps the result strictly below 1.
    return result * 2.3283064365386963e-10;
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * Fills a factor matrix the way `implicit` initialises ALS: uniform in [0, 0.01).
 * @param out - rows x k float32 matrix to fill, row-major.
 * @param rng - The generator; rows are drawn in order, so users then items gives one reproducible stream.
 */
export function fillUniformFactors(out: Float32Array, rng: Rng, scale = 0.01): void {
  for (let i = 0; i < out.length; i++) out[i] = rng() * scale;
}

/**
 * Seeded pseudo-random numbers: the one splitmix32 seeding (with its MurmurHash3 finalizer) that every
 * generator in the project starts from, and the generator of reproducible factor initialisation.
 * @module
 */

/** A source of uniform floats in [0, 1). */
export type Rng = () => number;

/**
 * The 32-bit MurmurHash3 finalizer: a bijective mix of a 32-bit word, as ../shared/EVAL.md writes it for the
 * held-out split and as {@link splitmix32} applies it to its Weyl sequence.
 * @param input - Any number; only its low 32 bits are used.
 * @returns The mixed word, as an unsigned 32-bit integer.
 * @example
 * fmix32(1); // 0x514e28b7, MurmurHash3_x86_32 of the empty key with seed 1
 */
export function fmix32(input: number): number {
  let x = input | 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/**
 * splitmix32: a Weyl sequence (step 0x9e3779b9, the 32-bit golden ratio) mixed by {@link fmix32}. It turns
 * one seed into well-spread state words for the generators that need several: {@link createRng} here, the
 * sample data generator's sfc32 in data/random.ts.
 * @param seed - Any number; only its low 32 bits are used.
 * @returns A function giving the next unsigned 32-bit word on each call.
 * @example
 * const words = splitmix32(42);
 * const state = [words(), words(), words(), words()];
 */
export function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return (): number => {
    state = (state + 0x9e3779b9) >>> 0;
    return fmix32(state);
  };
}

/**
 * Creates a seeded generator (xoshiro128** seeded through {@link splitmix32}): fast, 32-bit state words,
 * and the same sequence on every platform for the same seed.
 * @param seed - Any integer; only its low 32 bits are used.
 */
export function createRng(seed: number): Rng {
  const next = splitmix32(seed);
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

import { describe, expect, it } from 'vitest';
import { createRng, fillUniformFactors, fmix32, splitmix32 } from '../../src/core/random.js';

describe('Function: fmix32', () => {
  it('matches the MurmurHash3 finalizer on known inputs', () => {
    // MurmurHash3_x86_32 of the empty key is fmix32(seed): 0x514e28b7 for seed 1, 0x81f16f39 for seed
    // 0xffffffff (the published test vectors, e.g. https://en.wikipedia.org/wiki/MurmurHash).
    expect([0, 1, 42, 0xffffffff].map(fmix32)).toEqual([0, 0x514e28b7, 142593372, 0x81f16f39]);
  });
});

describe('Function: splitmix32', () => {
  it('mixes the Weyl sequence seed + n * 0x9e3779b9 with fmix32', () => {
    // Prepare: seed 0 visits 0x9e3779b9, 0x3c6ef372 (= 2 * 0x9e3779b9 mod 2^32), ...
    const words = splitmix32(0);

    // Act
    const first = [words(), words()];

    // Assess: the values fmix32 gives for those two words.
    expect(first).toEqual([2462723854, 1020716019]);
  });

  it('uses only the low 32 bits of the seed and gives the same stream for the same seed', () => {
    const take = (seed: number): number[] => {
      const words = splitmix32(seed);
      return [words(), words(), words(), words()];
    };

    expect(take(42)).toEqual([939911724, 3948730756, 321366731, 3317318717]);
    expect(take(42 + 2 ** 32)).toEqual(take(42));
    expect(take(43)).not.toEqual(take(42));
  });
});

describe('Function: createRng', () => {
  it('gives the recorded xoshiro128** stream for a seed, in [0, 1)', () => {
    // Prepare
    const rng = createRng(42);

    // Act
    const first = [rng(), rng(), rng()];
    const more = Array.from({ length: 10_000 }, rng);

    // Assess: recorded values; factor initialisation and the golden ALS digests depend on them.
    expect(first).toEqual([0.6606157226487994, 0.12688010395504534, 0.11170196393504739]);
    expect(more.every((u) => u >= 0 && u < 1)).toBe(true);
    expect(Math.abs(more.reduce((a, b) => a + b, 0) / more.length - 0.5)).toBeLessThan(0.01);
  });

  it('fills factors uniformly in [0, 0.01) as implicit does', () => {
    const out = new Float32Array(1000);

    fillUniformFactors(out, createRng(1));

    expect(out.every((v) => v >= 0 && v < 0.01)).toBe(true);
    expect(new Set(out).size).toBeGreaterThan(990);
  });
});

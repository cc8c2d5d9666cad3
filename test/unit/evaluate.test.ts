import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/core/random.js';
import { alsRanker, evaluateSplit, popularityRanker } from '../../training/evaluate.js';
import { csrFromRows } from '../helpers/csr.js';

const csr = csrFromRows;

describe('Function: alsRanker', () => {
  it('ranks by dot product and leaves out the user train items', () => {
    // Prepare: 2 factors; user 0 = (1, 0) so scores are the items' first factor: 0.1, 0.9, 0.5, 0.7.
    const model = {
      factors: 2,
      userFactors: Float32Array.from([1, 0]),
      itemFactors: Float32Array.from([0.1, 5, 0.9, 0, 0.5, 0, 0.7, -1]),
    };
    const train = csr([[1]], 4);

    // Act
    const ranked = alsRanker(model, train, 3)(0);

    // Assess
    expect(Array.from(ranked)).toEqual([3, 2, 0]);
  });

  it('breaks ties by the lower index and returns fewer items when candidates run out', () => {
    // Prepare: items 0, 2 and 3 score 1; item 1 scores 2 but is a train item of user 0.
    const model = {
      factors: 1,
      userFactors: Float32Array.from([1]),
      itemFactors: Float32Array.from([1, 2, 1, 1]),
    };
    const train = csr([[1]], 4);

    // Act
    const ranked = alsRanker(model, train, 10)(0);

    // Assess
    expect(Array.from(ranked)).toEqual([0, 2, 3]);
  });

  it('agrees with a full sort of the dot products for every user (64 factors, 300 items)', () => {
    // Prepare: random factors; each user has a few train items.
    const rng = createRng(3);
    const factors = 64;
    const items = 300;
    const users = 6;
    const userFactors = Float32Array.from({ length: users * factors }, () => rng() - 0.5);
    const itemFactors = Float32Array.from({ length: items * factors }, () => rng() - 0.5);
    const trainRows = Array.from({ length: users }, (_, u) => [u, 50 + u, 299 - u]);
    const ranker = alsRanker({ factors, userFactors, itemFactors }, csr(trainRows, items), 20);

    for (let u = 0; u < users; u++) {
      const scores = Array.from({ length: items }, (_, i) => {
        let s = 0;
        for (let f = 0; f < factors; f++) {
          s += (userFactors[u * factors + f] as number) * (itemFactors[i * factors + f] as number);
        }
        return [i, s] as const;
      });
      const expected = scores
        .filter(([i]) => !trainRows[u]?.includes(i))
        .sort((a, b) => b[1] - a[1] || a[0] - b[0])
        .slice(0, 20)
        .map(([i]) => i);

      // Act
      const ranked = Array.from(ranker(u));

      // Assess
      expect(ranked).toEqual(expected);
    }
  });
});

describe('Function: popularityRanker', () => {
  it('ranks by number of train users per item, without the user own items', () => {
    // Prepare: item 2 has 3 users, item 0 has 2, item 1 has 1, item 3 none.
    const train = csr([[0, 2], [0, 1, 2], [2]], 4);

    // Act
    const rank = popularityRanker(train, 4);

    // Assess
    expect(Array.from(rank(0))).toEqual([1, 3]);
    expect(Array.from(rank(2))).toEqual([0, 1, 3]);
  });

  it('counts users, not summed values: one heavy user does not make an item popular', () => {
    // Prepare: user 0 interacted with item 0 with value 50; item 1 has two users with value 1 each.
    const train = csr([[0, 1], [1], []], 3);
    train.data[0] = 50;

    // Act
    const ranked = popularityRanker(train, 3)(2);

    // Assess
    expect(Array.from(ranked)).toEqual([1, 0, 2]);
  });
});

describe('Function: evaluateSplit', () => {
  it('returns rows for k = 1..maxK for both rankers', () => {
    // Prepare: user 0 likes item 1 in test; ALS ranks it first, popularity ranks item 2 first.
    const model = {
      factors: 1,
      userFactors: Float32Array.from([1, 1]),
      itemFactors: Float32Array.from([0, 3, 1]),
    };
    const train = csr([[0], [2]], 3);
    const test = csr([[1], []], 3);

    // Act
    const result = evaluateSplit(model, train, test, 2);

    // Assess
    expect(result.als.map((row) => [row.k, row.precision, row.users])).toEqual([
      [1, 1, 1],
      [2, 1, 1],
    ]);
    expect(result.popularity.map((row) => [row.k, row.precision, row.plainPrecision])).toEqual([
      [1, 0, 0],
      [2, 1, 0.5],
    ]);
  });
});

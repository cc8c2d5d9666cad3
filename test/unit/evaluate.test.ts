import { describe, expect, it } from 'vitest';
import { alsRanker, evaluateSplit, itemUserCounts, popularityRanker, topK } from '../../training/evaluate.js';
import { csrFromRows } from '../helpers/csr.js';

const csr = csrFromRows;

describe('Function: topK', () => {
  it('orders by score descending and breaks ties by index', () => {
    const scores = Float32Array.from([0.5, 0.9, 0.5, Number.NaN, 0.1, 0.9]);
    expect(Array.from(topK(scores, 4))).toEqual([1, 5, 0, 2]);
  });

  it('skips excluded items and returns fewer when candidates run out', () => {
    const scores = Float32Array.from([3, 2, 1]);
    expect(Array.from(topK(scores, 5, Uint8Array.from([1, 0, 0])))).toEqual([1, 2]);
  });
});

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
});

describe('Function: popularityRanker', () => {
  it('ranks by number of train users per item, without the user own items', () => {
    // Prepare: item 2 has 3 users, item 0 has 2, item 1 has 1, item 3 none.
    const train = csr([[0, 2], [0, 1, 2], [2]], 4);

    // Act
    const rank = popularityRanker(train, 4);

    // Assess
    expect(Array.from(itemUserCounts(train))).toEqual([2, 1, 3, 0]);
    expect(Array.from(rank(0))).toEqual([1, 3]);
    expect(Array.from(rank(2))).toEqual([0, 1, 3]);
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

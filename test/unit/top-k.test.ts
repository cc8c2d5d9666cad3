import { describe, expect, it } from 'vitest';
import { sortedHas, topKDot, topKValues } from '../../src/ranking/top-k.js';

/** Reference: full sort, ties to the lower index. */
function bruteForce(scores: number[], k: number, skip: Set<number> = new Set()): number[] {
  return scores
    .map((s, i) => ({ s, i }))
    .filter((e) => !skip.has(e.i))
    .sort((a, b) => b.s - a.s || a.i - b.i)
    .slice(0, k)
    .map((e) => e.i);
}

function lcg(seed: number): () => number {
  let x = seed;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 4294967296;
  };
}

describe('Function: topKDot', () => {
  // 3 items x 3 factors; query (1, 2, 3): scores by hand are 1, 5, 3.5.
  const items = Float32Array.of(1, 0, 0, 0, 1, 1, 0.5, 0, 1);
  const query = [1, 2, 3];

  it('returns the k best rows, best first, with their dot products', () => {
    // Act
    const top = topKDot(items, 3, query, 2);
    // Assess
    expect({ indices: [...top.indices], scores: [...top.scores] }).toEqual({
      indices: [1, 2],
      scores: [5, 3.5],
    });
  });

  it('returns fewer than k when fewer rows exist, never padding', () => {
    const top = topKDot(items, 3, query, 10);
    expect({ indices: [...top.indices], scores: [...top.scores] }).toEqual({
      indices: [1, 2, 0],
      scores: [5, 3.5, 1],
    });
  });

  it('leaves out excluded rows and still fills k from the rest', () => {
    const top = topKDot(items, 3, query, 2, { excluded: Int32Array.of(1) });
    expect([...top.indices]).toEqual([2, 0]);
  });

  it('considers only candidate rows when given', () => {
    const top = topKDot(items, 3, query, 3, { candidates: Int32Array.of(0, 2) });
    expect([...top.indices]).toEqual([2, 0]);
  });

  it('multiplies each score by its row scale', () => {
    const top = topKDot(items, 3, query, 3, { rowScale: Float32Array.of(10, 0.5, 1) });
    expect({ indices: [...top.indices], scores: [...top.scores] }).toEqual({
      indices: [0, 2, 1],
      scores: [10, 3.5, 2.5],
    });
  });

  it('breaks ties by the lower index, whatever the arrival order of the heap', () => {
    // Five identical rows: every score ties, so the first three indices win.
    const same = new Float32Array(5 * 2).fill(1);
    expect([...topKDot(same, 2, [1, 1], 3).indices]).toEqual([0, 1, 2]);
  });

  it('agrees with a full sort on random data, including ties and exclusions', () => {
    const rand = lcg(7);
    const dim = 5;
    const rows = 2000;
    // Quantised values make many exact ties.
    const m = Float32Array.from({ length: rows * dim }, () => Math.round(rand() * 8) / 8);
    const q = [0.5, 0.25, 1, 0.125, 0.75];
    const scores = Array.from({ length: rows }, (_, r) => {
      let s = 0;
      for (let f = 0; f < dim; f++) s += (m[r * dim + f] as number) * (q[f] as number);
      return s;
    });
    const excluded = Int32Array.from({ length: 200 }, (_, i) => i * 7).sort();
    const top = topKDot(m, dim, q, 25, { excluded });
    expect([...top.indices]).toEqual(bruteForce(scores, 25, new Set(excluded)));
  });

  it('returns nothing for k = 0 or an empty matrix', () => {
    expect(topKDot(items, 3, query, 0).indices.length).toBe(0);
    expect(topKDot(new Float32Array(0), 3, query, 5).indices.length).toBe(0);
  });
});

describe('Function: topKValues', () => {
  it('selects the largest values with lower-index tie-break', () => {
    const top = topKValues([3, 5, 5, 1, 4], 3);
    expect({ indices: [...top.indices], scores: [...top.scores] }).toEqual({
      indices: [1, 2, 4],
      scores: [5, 5, 4],
    });
  });

  it('skips NaN values', () => {
    expect([...topKValues([Number.NaN, 1, Number.NaN, 2], 4).indices]).toEqual([3, 1]);
  });
});

describe('Function: sortedHas', () => {
  it('finds members of an ascending array by binary search', () => {
    const sorted = Int32Array.of(1, 4, 9, 16);
    expect([0, 1, 4, 5, 16, 17].map((v) => sortedHas(sorted, v))).toEqual([
      false,
      true,
      true,
      false,
      true,
      false,
    ]);
    expect(sortedHas(undefined, 1)).toBe(false);
  });
});

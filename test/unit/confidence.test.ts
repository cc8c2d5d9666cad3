import { describe, expect, it } from 'vitest';
import { toConfidenceRows } from '../../src/als/confidence.js';
import { csrFromTriples } from '../../src/core/csr.js';

describe('Function: toConfidenceRows', () => {
  it('splits each confidence into target and weight and moves weight-0 entries to the end of their row, in order', () => {
    // Prepare: row 0 mixes |c| = 1 entries (weight 0) with others; row 1 has only weight-0 entries;
    // row 2 is empty; row 3 has a "disliked" (negative) value.
    const m = csrFromTriples(
      4,
      6,
      [0, 0, 0, 0, 0, 1, 1, 3],
      [0, 1, 2, 3, 5, 2, 4, 1],
      [1, 3, 1, 2, 1, 1, 1, -3],
    );

    // Act
    const rows = toConfidenceRows(m, 1);

    // Assess
    expect({
      indptr: Array.from(rows.indptr),
      indices: Array.from(rows.indices),
      target: Array.from(rows.target),
      weight: Array.from(rows.weight),
    }).toEqual({
      indptr: [0, 5, 7, 7, 8],
      indices: [1, 3, 0, 2, 5, 2, 4, 1],
      target: [3, 2, 1, 1, 1, 1, 1, 0],
      weight: [2, 1, 0, 0, 0, 0, 0, 2],
    });
  });

  it('applies alpha before deciding which entries weigh 0', () => {
    const m = csrFromTriples(1, 3, [0, 0, 0], [0, 1, 2], [1, 2, 0.5]);

    const rows = toConfidenceRows(m, 2);

    // c = 2, 4, 1: only the last has |c| = 1.
    expect(Array.from(rows.indices)).toEqual([0, 1, 2]);
    expect(Array.from(rows.weight)).toEqual([1, 3, 0]);
  });
});

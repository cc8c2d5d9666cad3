import { describe, expect, it } from 'vitest';
import { csrFromTriples } from '../../src/core/csr.js';
import type { Csr } from '../../src/core/model-data.js';
import { videoPopularity } from '../../src/core/popularity.js';

describe('Function: videoPopularity', () => {
  it('counts distinct users per video, not summed interaction values', () => {
    // Prepare: 3 users x 4 videos. Video 0: user 0 with value 9 (one user, large sum); video 1: users 0,
    // 1, 2 with value 1 each; video 2: user 1 with three events of value 2 (summed into one pair);
    // video 3: nobody.
    const seen = csrFromTriples(3, 4, [0, 0, 1, 2, 1, 1, 1], [0, 1, 1, 1, 2, 2, 2], [9, 1, 1, 1, 2, 2, 2]);

    // Act
    const popularity = videoPopularity(seen);

    // Assess: the summed values would be [9, 3, 6, 0].
    expect(popularity).toEqual(Float32Array.from([1, 3, 1, 0]));
  });

  it('counts a stored pair whatever its value, and a repeated index within a row once', () => {
    // Prepare: a hand-built CSR; row 0 repeats video 1 (not canonical), row 1 stores a 0-valued pair.
    const seen: Csr = {
      rows: 2,
      cols: 3,
      indptr: Int32Array.from([0, 3, 5]),
      indices: Int32Array.from([0, 1, 1, 1, 2]),
      data: Float32Array.from([1, 1, 1, 0, 4]),
    };

    // Act
    const popularity = videoPopularity(seen);

    // Assess
    expect(popularity).toEqual(Float32Array.from([1, 2, 1]));
  });

  it('gives zeros for a matrix without interactions', () => {
    expect(videoPopularity(csrFromTriples(2, 3, [], [], []))).toEqual(new Float32Array(3));
  });
});

import { describe, expect, it } from 'vitest';
import { csrFromTriples, transposeCsr } from '../../src/core/csr.js';
import { InputInvalidError } from '../../src/core/errors.js';

describe('Function: csrFromTriples', () => {
  it('sums duplicate pairs and sorts column indices within each row', () => {
    // Prepare: row 0 has (0,2) twice and columns out of order; row 1 is empty.
    const rows = [2, 0, 0, 0, 2];
    const cols = [0, 2, 1, 2, 3];
    const vals = [5, 1, 2, 3, 4];

    // Act
    const m = csrFromTriples(3, 4, rows, cols, vals);

    // Assess
    expect(m).toEqual({
      rows: 3,
      cols: 4,
      indptr: Int32Array.from([0, 2, 2, 4]),
      indices: Int32Array.from([1, 2, 0, 3]),
      data: Float32Array.from([2, 4, 5, 4]),
    });
  });

  it('builds an all-empty matrix from no triples', () => {
    expect(csrFromTriples(2, 3, [], [], [])).toEqual({
      rows: 2,
      cols: 3,
      indptr: new Int32Array(3),
      indices: new Int32Array(0),
      data: new Float32Array(0),
    });
  });

  it('refuses indices outside the shape and triples of different lengths', () => {
    expect(() => csrFromTriples(2, 2, [2], [0], [1])).toThrow(InputInvalidError);
    expect(() => csrFromTriples(2, 2, [0], [-1], [1])).toThrow(/Column index -1 at triple 0/);
    expect(() => csrFromTriples(2, 2, [0, 1], [0], [1])).toThrow(/different lengths/);
    expect(() => csrFromTriples(-1, 2, [], [], [])).toThrow(InputInvalidError);
  });
});

describe('Function: transposeCsr', () => {
  it('transposes a known matrix with ascending indices in every row', () => {
    // [[0, 1, 2], [3, 0, 0]] -> [[0, 3], [1, 0], [2, 0]]
    const m = csrFromTriples(2, 3, [0, 0, 1], [1, 2, 0], [1, 2, 3]);

    expect(transposeCsr(m)).toEqual({
      rows: 3,
      cols: 2,
      indptr: Int32Array.from([0, 1, 2, 3]),
      indices: Int32Array.from([1, 0, 0]),
      data: Float32Array.from([3, 1, 2]),
    });
  });

  it('gives back the original matrix when applied twice', () => {
    const r: number[] = [];
    const c: number[] = [];
    const v: number[] = [];
    for (let t = 0; t < 200; t++) {
      r.push((t * 7) % 13);
      c.push((t * 11) % 17);
      v.push(t % 5);
    }
    const m = csrFromTriples(13, 17, r, c, v);

    expect(transposeCsr(transposeCsr(m))).toEqual(m);
  });
});

import { describe, expect, it } from 'vitest';
import {
  fitWeighting,
  userIdf,
  weightingOf,
  weightMatrix,
  weightRow,
  weightValue,
} from '../../src/als/weighting.js';
import { csrFromTriples } from '../../src/core/csr.js';

/**
 * 3 users x 6 items (item 5 untouched, so the bm25 mean length counts an empty item):
 *   u0: i0 = 1, i1 = 2     u1: i0 = 3, i2 = 1, i3 = 4     u2: i1 = 1, i4 = 5
 * Item sums 4, 3, 1, 4, 5, 0 (mean 17 / 6); N = 6 items; idf u0 = ln 6 - ln 3 = ln 2, u1 = ln 6 - ln 4, u2 = ln 2.
 */
const matrix = csrFromTriples(
  3,
  6,
  Int32Array.of(0, 0, 1, 1, 1, 2, 2),
  Int32Array.of(0, 1, 0, 2, 3, 1, 4),
  Float32Array.of(1, 2, 3, 1, 4, 1, 5),
);

// Known answers: implicit 0.7.2 `bm25_weight(X)` / `tfidf_weight(X)` (implicit/nearest_neighbours.py) run on
// X = this matrix transposed (item x user, as implicit's examples weigh it), then transposed back; float64.
const IMPLICIT = {
  bm25: [
    0.5226762007120889, 1.312165059560558, 0.9037433024081154, 0.831760562272065, 1.1961917364634336,
    0.6622892092495415, 2.1064313434007547,
  ],
  bm25K1B: [
    0.5932197838201821, 0.9375661682799985, 0.5854978781175811, 0.5514325470271036, 0.6405235498730877,
    0.6768591267086673, 1.1069045496559333,
  ],
  tfidf: [
    0.6931471805599454, 0.9802581434685473, 0.7022861679397482, 0.4054651081081644, 0.8109302162163288,
    0.6931471805599454, 1.5499242141443588,
  ],
};

describe('Function: weightMatrix', () => {
  it("gives implicit's bm25_weight at K1 100, B 0.8 and at K1 1.2, B 0.75 (float32 storage)", () => {
    // Act
    const defaults = weightMatrix(matrix, fitWeighting(matrix, weightingOf('bm25')));
    const other = weightMatrix(matrix, fitWeighting(matrix, weightingOf('bm25', { k1: 1.2, b: 0.75 })));

    // Assess
    expect(Array.from(defaults.data)).toEqual(IMPLICIT.bm25.map(Math.fround));
    expect(Array.from(other.data)).toEqual(IMPLICIT.bm25K1B.map(Math.fround));
    expect([defaults.indptr, defaults.indices]).toEqual([matrix.indptr, matrix.indices]);
  });

  it("gives implicit's tfidf_weight", () => {
    const weighted = weightMatrix(matrix, fitWeighting(matrix, weightingOf('tfidf')));
    expect(Array.from(weighted.data)).toEqual(IMPLICIT.tfidf.map(Math.fround));
  });

  it('leaves the matrix as it is without a weighting', () => {
    expect(weightMatrix(matrix, fitWeighting(matrix, weightingOf('none')))).toBe(matrix);
  });
});

describe('Function: weightValue', () => {
  it('works out one value by hand: bm25 of u0, i0 = 1 * 101 / (100 * (0.2 + 0.8 * 4 / (17 / 6)) + 1) * ln 2', () => {
    // Prepare
    const fitted = fitWeighting(matrix, weightingOf('bm25'));
    const norm = 0.2 + (0.8 * 4) / (17 / 6);

    // Act
    const value = weightValue(fitted, 0, 1, 2);

    // Assess
    expect(fitted.itemNorms?.[0]).toBeCloseTo(norm, 14);
    expect(value).toBeCloseTo((101 / (100 * norm + 1)) * Math.LN2, 14);
    expect(userIdf(6, 3)).toBeCloseTo(Math.log(6 / 4), 14);
  });

  it('weighs a row served at fold-in the way training weighed it (same N and item norms)', () => {
    // Prepare
    const fitted = fitWeighting(matrix, weightingOf('bm25'));

    // Act: u1's row as a fold-in history
    const row = weightRow(fitted, [0, 2, 3], [3, 1, 4]);

    // Assess
    expect(Array.from(row, Math.fround)).toEqual(IMPLICIT.bm25.slice(2, 5).map(Math.fround));
  });

  it('refuses bm25 for an item without a length norm', () => {
    const fitted = fitWeighting(matrix, weightingOf('bm25'));
    expect(() => weightValue(fitted, 6, 1, 1)).toThrow('bm25 weighting has no length norm for item 6');
  });
});

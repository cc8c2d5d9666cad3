import { describe, expect, it } from 'vitest';
import { createDotKernel, DOT_BLOCK } from '../../src/kernels/dot-kernel.js';
import { topKDot } from '../../src/ranking/top-k.js';
import { seededRandom } from '../helpers/tiny-model.js';

function randomMatrix(n: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length: n }, () => (random() - 0.5) * 2);
}

function asPlain(top: { indices: Int32Array; scores: Float64Array }): {
  indices: number[];
  scores: number[];
} {
  return { indices: [...top.indices], scores: [...top.scores] };
}

describe('Function: createDotKernel', () => {
  it('scores a hand-checkable 3x3 matrix', () => {
    // Arrange: rows (1,0,0), (0,1,1), (0.5,0,1); query (1,2,3) -> 1, 5, 3.5
    const kernel = createDotKernel(Float32Array.of(1, 0, 0, 0, 1, 1, 0.5, 0, 1), 3);
    // Act
    kernel?.setQuery([1, 2, 3]);
    const scores = kernel ? [...kernel.scoreRange(0, 3).subarray(0, 3)] : [];
    // Assess
    expect(scores).toEqual([1, 5, 3.5]);
  });

  it('scores listed rows', () => {
    // Arrange
    const kernel = createDotKernel(Float32Array.of(1, 0, 0, 0, 1, 1, 0.5, 0, 1), 3);
    // Act
    kernel?.setQuery([1, 2, 3]);
    const scores = kernel ? [...kernel.scoreRows(Int32Array.of(2, 0)).subarray(0, 2)] : [];
    // Assess
    expect(scores).toEqual([3.5, 1]);
  });

  for (const dim of [64, 13, 3, 100]) {
    it(`leaves topKDot's answer bit for bit the same (dim ${dim}, several blocks)`, () => {
      // Arrange
      const rows = DOT_BLOCK * 2 + 77;
      const matrix = randomMatrix(rows * dim, dim);
      const query = Float64Array.from(randomMatrix(dim, 99), (x) => x * 0.3);
      const kernel = createDotKernel(matrix, dim);
      const excluded = Int32Array.of(3, 500, 2100, 4000);
      const candidates = Int32Array.from({ length: 2500 }, (_, i) => i + (i > 1000 ? 1000 : 0));
      const rowScale = randomMatrix(rows, 5).map(Math.abs);
      // Act + Assess
      expect(kernel).toBeDefined();
      for (const options of [{}, { excluded }, { candidates, excluded }, { rowScale, excluded }]) {
        for (const k of [1, 25]) {
          const js = topKDot(matrix, dim, query, k, options);
          const wasm = topKDot(matrix, dim, query, k, { ...options, kernel });
          expect(asPlain(wasm)).toEqual(asPlain(js));
        }
      }
    });
  }

  it('keeps ties on the lower index', () => {
    // Arrange: five identical rows, k = 3
    const matrix = new Float32Array(5 * 8).fill(0.25);
    const kernel = createDotKernel(matrix, 8);
    // Act
    const top = topKDot(matrix, 8, new Float64Array(8).fill(1), 3, { kernel });
    // Assess
    expect(asPlain(top)).toEqual({ indices: [0, 1, 2], scores: [2, 2, 2] });
  });
});

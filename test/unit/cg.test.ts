import { describe, expect, it } from 'vitest';
import { cgUpdateRows, createCgScratch } from '../../src/als/cg.js';
import { toConfidenceRows } from '../../src/als/confidence.js';
import { gramMatrix } from '../../src/als/fold-in.js';
import { csrFromTriples } from '../../src/core/csr.js';
import { exactSolve, ITEMS, K, problem } from '../helpers/als-problem.js';

/** Runs the CG update on a one-user problem starting from `start`. */
function cgSolve(
  y: Float32Array,
  items: number[],
  values: number[],
  start: Float32Array,
  steps: number,
): Float32Array {
  const alpha = 2;
  const reg = 0.1;
  const m = toConfidenceRows(
    csrFromTriples(
      1,
      ITEMS,
      items.map(() => 0),
      items,
      values,
    ),
    alpha,
  );
  const yty = gramMatrix(y, ITEMS, K);
  for (let d = 0; d < K; d++) yty[d * K + d] = (yty[d * K + d] as number) + reg;
  const x = Float32Array.from(start);
  cgUpdateRows(x, y, K, yty, m, 0, 1, steps, createCgScratch(K));
  return x;
}

function distance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += ((a[i] as number) - (b[i] as number)) ** 2;
  return Math.sqrt(s);
}

describe('Function: cgUpdateRows', () => {
  it.each([1, 2, 3, 4, 5])(
    'matches the exact Cholesky solve to 4 digits after k CG steps (seed %i)',
    (seed) => {
      // Prepare: in exact arithmetic CG solves a k x k SPD system in k steps.
      const { y, items, values } = problem(seed, 12);
      const exact = exactSolve(y, items, values, 2, 0.1);

      // Act: warm start from a random row, as training does.
      const start = Float32Array.from({ length: K }, (_, i) => 0.01 * ((i * 37) % 11));
      const x = cgSolve(y, items, values, start, 2 * K);

      // Assess
      for (let i = 0; i < K; i++) expect(x[i]).toBeCloseTo(exact[i] as number, 4);
    },
  );

  it('moves closer to the exact solution with every CG step', () => {
    const { y, items, values } = problem(9, 15);
    const exact = exactSolve(y, items, values, 2, 0.1);
    const start = new Float32Array(K).fill(0.005);

    const errors = [0, 1, 2, 3].map((steps) =>
      steps === 0 ? distance(start, exact) : distance(cgSolve(y, items, values, start, steps), exact),
    );

    // CG minimises the A-norm of the error; the plain norm falls too on these well-conditioned systems.
    for (let s = 1; s < errors.length; s++) expect(errors[s]).toBeLessThan(errors[s - 1] as number);
  });

  it('sets rows without interactions to zero, as implicit does', () => {
    const y = problem(1, 1).y;
    const m = toConfidenceRows(csrFromTriples(2, ITEMS, [1], [3], [1]), 1);
    const x = new Float32Array(2 * K).fill(0.5);

    cgUpdateRows(x, y, K, gramMatrix(y, ITEMS, K), m, 0, 1, 3, createCgScratch(K));

    expect(Array.from(x.subarray(0, K))).toEqual(new Array(K).fill(0));
    expect(Array.from(x.subarray(K))).toEqual(new Array(K).fill(0.5));
  });
});

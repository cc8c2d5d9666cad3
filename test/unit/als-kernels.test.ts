import { describe, expect, it } from 'vitest';
import { gramMatrix } from '../../src/als/fold-in.js';
import { createState, createThreadContext } from '../../src/als/state.js';
import { csrFromTriples } from '../../src/core/csr.js';
import { exactSolve, ITEMS, K, problem } from '../helpers/als-problem.js';

describe('Function: cg_update_rows (WebAssembly SIMD kernel)', () => {
  it.each([1, 2, 3])(
    'matches the exact Cholesky solve to 3 digits (float32) after 2k CG steps (seed %i)',
    (seed) => {
      const { y, items, values } = problem(seed, 12);
      const exact = exactSolve(y, items, values, 2, 0.1);
      const m = csrFromTriples(
        1,
        ITEMS,
        items.map(() => 0),
        items,
        values,
      );
      const state = createState(m, 2, K, 2 * K, 1, 'wasm');
      state.itemFactors.set(y);
      const yty = gramMatrix(y, ITEMS, K);
      for (let d = 0; d < K; d++) yty[d * K + d] = (yty[d * K + d] as number) + 0.1;
      state.system32.set(yty);
      state.userFactors.fill(0.01);
      const ctx = createThreadContext(state, 0);

      const u = state.users;
      ctx.wasm?.cgUpdateRows(
        state.userFactors,
        state.itemFactors,
        K,
        state.system32,
        u.indptr,
        u.indices,
        u.target,
        u.weight,
        0,
        1,
        2 * K,
        ctx.wasmScratch,
      );

      expect(ctx.wasm).not.toBeNull();
      for (let i = 0; i < K; i++) expect(state.userFactors[i]).toBeCloseTo(exact[i] as number, 3);
    },
  );
});

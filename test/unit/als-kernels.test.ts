import { describe, expect, it } from 'vitest';
import { cgUpdateRows, createCgScratch } from '../../src/als/cg.js';
import { gramMatrix } from '../../src/als/fold-in.js';
import { addLossRows } from '../../src/als/loss.js';
import { type AlsState, createState, createThreadContext } from '../../src/als/state.js';
import { csrFromTriples } from '../../src/core/csr.js';
import { createRng } from '../../src/core/random.js';
import { exactSolve, ITEMS, K, problem } from '../helpers/als-problem.js';

/** Five users over ITEMS items on the WebAssembly kernel, factors and YᵀY + λI (float64 and float32) set. */
function fiveUsers(seed: number): AlsState {
  const { y } = problem(seed, 1);
  const rng = createRng(seed + 100);
  const users = [0, 0, 0, 1, 1, 3, 3, 3, 3, 4];
  const items = users.map((_, n) => (n * 7 + seed) % ITEMS);
  const values = users.map(() => 1 + Math.floor(rng() * 5));
  // User 2 has no interactions: the CG update zeroes its row, the loss counts only its regularisation.
  const state = createState(csrFromTriples(5, ITEMS, users, items, values), 2, K, 3, 1, 'wasm');
  state.itemFactors.set(y);
  for (let i = 0; i < state.userFactors.length; i++) state.userFactors[i] = rng() - 0.5;
  const yty = gramMatrix(y, ITEMS, K);
  for (let d = 0; d < K; d++) yty[d * K + d] = (yty[d * K + d] as number) + 0.1;
  state.system.set(yty);
  state.system32.set(yty);
  return state;
}

describe('Function: cgUpdateRows (WebAssembly SIMD kernel)', () => {
  it('updates only the rows of its range', () => {
    // Prepare
    const state = fiveUsers(4);
    const before = Float32Array.from(state.userFactors);
    const ctx = createThreadContext(state, 0);

    // Act
    ctx.wasm?.cgUpdateRows({
      x: state.userFactors,
      y: state.itemFactors,
      k: K,
      yty: state.system32,
      matrix: state.users,
      rows: { start: 1, end: 3 },
      cgSteps: 3,
      scratch: ctx.wasmScratch,
    });

    // Assess: rows 0, 3, 4 untouched; row 1 moved; row 2 (no interactions) zeroed.
    const row = (f: Float32Array, r: number): number[] => Array.from(f.subarray(r * K, (r + 1) * K));
    for (const r of [0, 3, 4]) expect(row(state.userFactors, r)).toEqual(row(before, r));
    expect(row(state.userFactors, 1)).not.toEqual(row(before, 1));
    expect(row(state.userFactors, 2)).toEqual(new Array(K).fill(0));
  });

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

      ctx.wasm?.cgUpdateRows({
        x: state.userFactors,
        y: state.itemFactors,
        k: K,
        yty: state.system32,
        matrix: state.users,
        rows: { start: 0, end: 1 },
        cgSteps: 2 * K,
        scratch: ctx.wasmScratch,
      });

      expect(ctx.wasm).not.toBeNull();
      for (let i = 0; i < K; i++) expect(state.userFactors[i]).toBeCloseTo(exact[i] as number, 3);
    },
  );
});

/**
 * A state of `users` users over `items` items with `perUser` interactions each (values 1..4, so about a
 * quarter weigh 0), random factors on both sides and YᵀY + λI set in both precisions.
 */
function randomState(seed: number, k: number, users: number, items: number, perUser: number): AlsState {
  const rng = createRng(seed);
  const rows: number[] = [];
  const cols: number[] = [];
  const values: number[] = [];
  for (let u = 0; u < users; u++) {
    const offset = Math.floor(rng() * items);
    for (let n = 0; n < perUser; n++) {
      rows.push(u);
      cols.push((offset + n * 7) % items);
      values.push(1 + Math.floor(rng() * 4));
    }
  }
  const state = createState(csrFromTriples(users, items, rows, cols, values), 1, k, 3, 1, 'wasm');
  for (let i = 0; i < state.itemFactors.length; i++) state.itemFactors[i] = rng() - 0.5;
  for (let i = 0; i < state.userFactors.length; i++) state.userFactors[i] = (rng() - 0.5) * 0.1;
  const yty = gramMatrix(state.itemFactors, items, k);
  for (let d = 0; d < k; d++) yty[d * k + d] = (yty[d * k + d] as number) + 0.5;
  state.system.set(yty);
  state.system32.set(yty);
  return state;
}

describe('Function: cgUpdateRows (WebAssembly SIMD kernel against the JavaScript kernel)', () => {
  // k covers the kernel's lane groups (16 and 4 at a time, then one at a time); rows of 3, 33 and 70
  // interactions cover one partial block of 32 and several.
  it.each([
    [1, 3],
    [5, 33],
    [8, 70],
    [20, 33],
    [23, 70],
    [64, 70],
  ])(
    'gives the float64 JavaScript update to float32 accuracy (k = %i, %i interactions per row)',
    (k, perUser) => {
      // Prepare
      const state = randomState(k + perUser, k, 3, 97, perUser);
      const ctx = createThreadContext(state, 0);
      const js = Float32Array.from(state.userFactors);

      // Act
      ctx.wasm?.cgUpdateRows({
        x: state.userFactors,
        y: state.itemFactors,
        k,
        yty: state.system32,
        matrix: state.users,
        rows: { start: 0, end: 3 },
        cgSteps: 3,
        scratch: ctx.wasmScratch,
      });
      cgUpdateRows(js, state.itemFactors, k, state.system, state.users, 0, 3, 3, createCgScratch(k));

      // Assess: same algorithm, float32 against float64 vectors.
      expect(ctx.wasm).not.toBeNull();
      let scale = 0;
      for (const v of js) scale = Math.max(scale, Math.abs(v));
      for (let i = 0; i < js.length; i++) {
        expect(Math.abs((state.userFactors[i] as number) - (js[i] as number))).toBeLessThan(1e-4 * scale);
      }
    },
  );
});

describe('Function: gramRows (WebAssembly SIMD kernel)', () => {
  it.each([1, 3, 4, 7, 8, 12, 20, 64])(
    'adds the upper triangle of FᵀF of a row range to float32 accuracy (k = %i)',
    (k) => {
      // Prepare: 150 rows, so the range [5, 145) spans whole and partial blocks of 64 rows.
      const state = randomState(k, k, 150, 11, 1);
      const ctx = createThreadContext(state, 0);
      const out = state.gramPartials.subarray(0, k * k).fill(0.25);
      const expected = gramMatrix(state.userFactors.subarray(5 * k, 145 * k), 140, k);

      // Act
      ctx.wasm?.gramRows(out, state.userFactors, k, 5, 145);

      // Assess: out started at 0.25; float32 block sums, float64 across blocks.
      expect(ctx.wasm).not.toBeNull();
      for (let a = 0; a < k; a++) {
        for (let b = a; b < k; b++) {
          const want = (expected[a * k + b] as number) + 0.25;
          expect(Math.abs((out[a * k + b] as number) - want)).toBeLessThan(
            1e-6 * Math.max(1, Math.abs(want)),
          );
        }
      }
    },
  );
});

describe('Function: lossRows (WebAssembly SIMD kernel)', () => {
  it.each([
    [0, 5],
    [1, 4],
    [2, 3],
  ])('adds the same loss share as the JavaScript loss for rows %i..%i', (start, end) => {
    // Prepare
    const state = fiveUsers(6);
    const ctx = createThreadContext(state, 0);
    const wasm = state.lossPartials.subarray(0, 2).fill(0);
    const js = Float64Array.from([0.25, 0.5]);

    // Act
    ctx.wasm?.lossRows({
      out: wasm,
      x: state.userFactors,
      y: state.itemFactors,
      k: K,
      yty: state.system,
      matrix: state.users,
      rows: { start, end },
      scratch: ctx.wasmScratch64,
    });
    addLossRows(
      js,
      state.userFactors,
      state.itemFactors,
      K,
      state.system,
      state.users,
      start,
      end,
      createCgScratch(K),
    );

    // Assess: both add to what `out` held (the JS one started at 0.25, 0.5); confidence sums are exact.
    expect(ctx.wasm).not.toBeNull();
    expect(wasm[0]).toBeCloseTo((js[0] as number) - 0.25, 9);
    expect(wasm[1]).toBe((js[1] as number) - 0.5);
    // Row 2 has no interactions, so its confidence sum is 0 and its loss share only xᵀ(YᵀY + λI)x.
    expect(wasm[1] === 0).toBe(start === 2);
  });
});

import { describe, expect, it } from 'vitest';
import { AlsPool } from '../../src/als/pool.js';
import { createState, type Phase } from '../../src/als/state.js';
import { csrFromTriples } from '../../src/core/csr.js';

/** A small state on the SIMD kernel with its Gram partials poisoned, so a phase that ran shows. */
function smallState(threads: number): ReturnType<typeof createState> {
  const m = csrFromTriples(
    40,
    30,
    [...Array(120).keys()].map((n) => n % 40),
    [...Array(120).keys()].map((n) => (n * 7) % 30),
    new Array(120).fill(2),
  );
  const state = createState(m, 1, 4, 3, threads, 'wasm');
  state.itemFactors.fill(0.5);
  state.gramPartials.fill(Number.NaN);
  return state;
}

describe('Class: AlsPool', () => {
  it('runs phase after phase on every thread and stops its workers on close', async () => {
    // Prepare
    const state = smallState(3);
    const pool = await AlsPool.start(state, 3);

    // Act: the item Gram over 30 rows of 0.5s, twice (the second run must start from a fresh counter).
    await pool.run(1 as Phase);
    await pool.run(1 as Phase);
    await pool.close();

    // Assess: every chunk's partial was written (no NaN left): 30 rows x 0.25 summed over the partials.
    let sum = 0;
    for (let c = 0; c < 16; c++) sum += state.gramPartials[c * 16] as number;
    expect(sum).toBe(7.5);
  });

  it('rejects a phase a thread fails, then still closes', async () => {
    // Prepare
    const state = smallState(2);
    const pool = await AlsPool.start(state, 2);

    // Act
    const run = pool.run(99 as Phase);

    // Assess
    await expect(run).rejects.toThrow('Unknown ALS phase 99');
    await pool.close();
  });
});

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { foldInUser, gramMatrix } from '../../src/als/fold-in.js';
import { ALS_DEFAULTS, trainAls } from '../../src/als/train.js';
import { csrFromTriples } from '../../src/core/csr.js';
import { InputInvalidError } from '../../src/core/errors.js';
import type { AlsParams, Csr } from '../../src/core/model-data.js';
import { createRng } from '../../src/core/random.js';

/** Users in 4 taste groups, each mostly interacting with its group's 15 items, values 1..5. */
function groupedMatrix(users: number, seed: number): Csr {
  const rng = createRng(seed);
  const items = 60;
  const r: number[] = [];
  const c: number[] = [];
  const v: number[] = [];
  for (let u = 0; u < users; u++) {
    const group = u % 4;
    for (let n = 0; n < 12; n++) {
      const own = rng() < 0.85;
      r.push(u);
      c.push(own ? group * 15 + Math.floor(rng() * 15) : Math.floor(rng() * items));
      v.push(1 + Math.floor(rng() * 5));
    }
  }
  return csrFromTriples(users, items, r, c, v);
}

/** sha256 (hex) of a float32 array's bytes. */
const sha256 = (a: Float32Array): string =>
  createHash('sha256')
    .update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength))
    .digest('hex');

const PARAMS: AlsParams = { ...ALS_DEFAULTS, factors: 8, regularization: 0.1, iterations: 8 };

/** Items ranked by score for one user, best first, excluding `seen`. */
function ranking(x: ArrayLike<number>, y: Float32Array, k: number, seen: Set<number> = new Set()): number[] {
  const items = y.length / k;
  const scores: [number, number][] = [];
  for (let i = 0; i < items; i++) {
    if (seen.has(i)) continue;
    let s = 0;
    for (let f = 0; f < k; f++) s += (x[f] as number) * (y[i * k + f] as number);
    scores.push([i, s]);
  }
  return scores.sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([i]) => i);
}

/** implicit's loss, computed densely over every (user, item) pair. */
function denseLoss(m: Csr, x: Float32Array, y: Float32Array, k: number, alpha: number, reg: number): number {
  let loss = 0;
  let confidence = 0;
  for (let u = 0; u < m.rows; u++) {
    const seen = new Map<number, number>();
    for (let p = m.indptr[u] as number; p < (m.indptr[u + 1] as number); p++) {
      seen.set(m.indices[p] as number, Math.fround(alpha * (m.data[p] as number)));
    }
    for (let i = 0; i < m.cols; i++) {
      let s = 0;
      for (let f = 0; f < k; f++) s += (x[u * k + f] as number) * (y[i * k + f] as number);
      const c = seen.get(i);
      loss += c === undefined ? s * s : c * (1 - s) ** 2;
      confidence += c ?? 0;
    }
  }
  let norms = 0;
  for (const f of [x, y]) for (const value of f) norms += value * value;
  return (loss + reg * norms) / (confidence + m.rows * m.cols - (m.indptr[m.rows] as number));
}

describe('Function: trainAls', () => {
  it.each(['wasm', 'js'] as const)(
    'reports implicit’s loss, which never rises across iterations (%s kernel)',
    async (kernel) => {
      const m = groupedMatrix(80, 1);
      const params = { ...PARAMS, iterations: 12, alpha: 2 };

      const result = await trainAls(m, params, { computeLoss: true, kernel });

      expect(result.losses).toHaveLength(12);
      for (let i = 1; i < result.losses.length; i++) {
        expect(result.losses[i]).toBeLessThanOrEqual((result.losses[i - 1] as number) * (1 + 1e-9));
      }
      const dense = denseLoss(m, result.userFactors, result.itemFactors, 8, 2, 0.1);
      // 8 digits: the SIMD kernel sums YᵀY in float32 blocks of 64 rows (implicit: all rows in float32).
      expect(result.losses.at(-1)).toBeCloseTo(dense, 8);
    },
  );

  it('ranks the missing item of a hand-checkable case first', async () => {
    // Users 0-3 watched items {0,1,2}, users 4-7 watched {3,4,5}; user 3 lacks item 2 and user 7 lacks item 5.
    const r: number[] = [];
    const c: number[] = [];
    for (let u = 0; u < 8; u++) {
      const base = u < 4 ? 0 : 3;
      for (let i = 0; i < 3; i++) {
        if ((u === 3 && i === 2) || (u === 7 && i === 2)) continue;
        r.push(u);
        c.push(base + i);
      }
    }
    const m = csrFromTriples(
      8,
      6,
      r,
      c,
      r.map(() => 1),
    );

    const result = await trainAls(m, { ...PARAMS, factors: 4, iterations: 15, alpha: 5 });

    expect(ranking(result.userFactors.subarray(12, 16), result.itemFactors, 4, new Set([0, 1]))).toEqual([
      2,
      expect.any(Number),
      expect.any(Number),
      expect.any(Number),
    ]);
    expect(ranking(result.userFactors.subarray(28, 32), result.itemFactors, 4, new Set([3, 4]))[0]).toBe(5);
  });

  it('is bit-for-bit reproducible for a seed at threads = 1, and differs for another seed', async () => {
    const m = groupedMatrix(60, 2);

    const a = await trainAls(m, PARAMS);
    const b = await trainAls(m, PARAMS);
    const other = await trainAls(m, { ...PARAMS, seed: 7 });

    expect(Buffer.from(b.userFactors.buffer)).toEqual(Buffer.from(a.userFactors.buffer));
    expect(Buffer.from(b.itemFactors.buffer)).toEqual(Buffer.from(a.itemFactors.buffer));
    expect(Buffer.from(other.itemFactors.buffer)).not.toEqual(Buffer.from(a.itemFactors.buffer));
  });

  it.each([
    {
      kernel: 'wasm',
      user: 'b98cecd001d8d50e5b0bfff724924e077325b8d63a9ee523b0a3cd31033c41d2',
      item: 'ecbc71dd26f9b55640c254fe6535a65b00b1fdce8cace4f6bff4f153527125de',
      loss: 0.07060146035950315,
    },
    {
      kernel: 'js',
      user: '2bb9cb02c1fb23c239c2d0bcbb43aa68bc854183ec300ab6c90ed1380b33afa9',
      item: 'f19f91d063961d2574504146097c599443e6bfa9e49fd66fb959af912e65a55d',
      loss: 0.07059059300404241,
    },
  ] as const)(
    'keeps the factors of seed 42 bit for bit across refactors ($kernel kernel)',
    async (golden) => {
      // Prepare: digests recorded from this implementation; IEEE arithmetic without fused multiply-add
      // (JS numbers, WebAssembly SIMD128) gives the same bits on every platform.
      const m = groupedMatrix(60, 2);

      // Act
      const result = await trainAls(m, PARAMS, { computeLoss: true, kernel: golden.kernel });

      // Assess
      expect({
        kernel: golden.kernel,
        user: sha256(result.userFactors),
        item: sha256(result.itemFactors),
        loss: result.losses.at(-1),
      }).toEqual(golden);
    },
  );

  it.each([
    { kernel: 'wasm', factors: 8 },
    { kernel: 'wasm', factors: 7 },
    { kernel: 'wasm', factors: 20 },
    { kernel: 'js', factors: 8 },
  ] as const)(
    'gives the same factors and loss with 2 worker threads as with 1 ($kernel kernel, $factors factors)',
    async ({ kernel, factors }) => {
      // Work is cut into chunks by the data alone and partial sums are added in chunk order, so the
      // thread count cannot change a single bit. Items have ~80 users: rows span several CG blocks.
      const m = groupedMatrix(400, 3);
      const params = { ...PARAMS, factors };

      const one = await trainAls(m, params, { computeLoss: true, kernel });
      const two = await trainAls(m, { ...params, threads: 2 }, { computeLoss: true, kernel });

      expect(two.losses).toEqual(one.losses);
      expect(Buffer.from(two.userFactors.buffer)).toEqual(Buffer.from(one.userFactors.buffer));
      expect(Buffer.from(two.itemFactors.buffer)).toEqual(Buffer.from(one.itemFactors.buffer));
      expect(two.userFactors.buffer).toBeInstanceOf(ArrayBuffer);
    },
  );

  it('gets the same quality from the SIMD (float32) and JavaScript (float64) kernels', async () => {
    const m = groupedMatrix(200, 6);

    const wasm = await trainAls(m, PARAMS, { computeLoss: true, kernel: 'wasm' });
    const js = await trainAls(m, PARAMS, { computeLoss: true, kernel: 'js' });

    // Only rounding differs (float32 vs float64 CG vectors): losses agree to 1e-4 relative.
    expect(Math.abs((wasm.losses.at(-1) as number) / (js.losses.at(-1) as number) - 1)).toBeLessThan(1e-4);
    for (const u of [0, 1, 2, 3]) {
      const seen = new Set(Array.from(m.indices.subarray(m.indptr[u] as number, m.indptr[u + 1] as number)));
      const top = (r: typeof wasm): number[] =>
        ranking(r.userFactors.subarray(u * 8, u * 8 + 8), r.itemFactors, 8, seen).slice(0, 3);
      expect(new Set(top(wasm))).toEqual(new Set(top(js)));
    }
  });

  it('calls onIteration once per iteration with its number and time', async () => {
    const seen: number[] = [];

    const result = await trainAls(
      groupedMatrix(20, 4),
      { ...PARAMS, iterations: 3 },
      {
        onIteration: (info) => {
          expect(info.loss).toBeUndefined();
          expect(info.seconds).toBeGreaterThanOrEqual(0);
          seen.push(info.iteration);
        },
      },
    );

    expect(seen).toEqual([1, 2, 3]);
    expect(result.secondsPerIteration).toHaveLength(3);
    expect(result.losses).toEqual([]);
  });

  it('continues from the factors of a finished iteration (start) to the bits of one uninterrupted fit', async () => {
    // Prepare
    const m = groupedMatrix(24, 6);
    const whole = await trainAls(m, PARAMS, { computeLoss: true });
    const firstThree = await trainAls(m, { ...PARAMS, iterations: 3 }, { computeLoss: true });
    const seen: number[] = [];

    // Act
    const resumed = await trainAls(m, PARAMS, {
      computeLoss: true,
      start: { iteration: 3, ...firstThree },
      onIteration: (info) => {
        seen.push(info.iteration);
        expect(info.factors.item).toHaveLength(60 * 8);
      },
    });
    const moved = await trainAls(m, PARAMS, {
      start: { iteration: 3, ...firstThree, userFactors: firstThree.userFactors.map((x) => x * 2) },
    });

    // Assess
    expect(seen).toEqual([4, 5, 6, 7, 8]);
    expect(resumed.losses).toEqual(whole.losses);
    expect([sha256(resumed.userFactors), sha256(resumed.itemFactors)]).toEqual([
      sha256(whole.userFactors),
      sha256(whole.itemFactors),
    ]);
    expect(sha256(moved.itemFactors)).not.toBe(sha256(whole.itemFactors));
  });

  it('refuses a start of another shape or past the iterations asked for', async () => {
    const m = groupedMatrix(24, 6);
    const start = {
      iteration: 2,
      userFactors: new Float32Array(24 * 8),
      itemFactors: new Float32Array(60 * 8),
      losses: [],
    };
    await expect(
      trainAls(m, PARAMS, { start: { ...start, itemFactors: new Float32Array(8) } }),
    ).rejects.toThrow(
      /Cannot resume ALS at iteration 2 of 8 with 192 \+ 8 factor values \(expected 192 \+ 480\)/,
    );
    await expect(trainAls(m, PARAMS, { start: { ...start, iteration: 9 } })).rejects.toThrow(
      InputInvalidError,
    );
  });

  it('refuses an empty matrix, a single user, a single item and bad parameters', async () => {
    await expect(trainAls(csrFromTriples(0, 0, [], [], []), PARAMS)).rejects.toThrow(InputInvalidError);
    await expect(trainAls(csrFromTriples(3, 3, [], [], []), PARAMS)).rejects.toThrow(
      /empty interaction matrix/,
    );
    await expect(trainAls(csrFromTriples(1, 3, [0, 0], [0, 2], [1, 1]), PARAMS)).rejects.toThrow(
      /at least 2 users/,
    );
    await expect(trainAls(csrFromTriples(3, 1, [0, 2], [0, 0], [1, 1]), PARAMS)).rejects.toThrow(
      /at least 2 items/,
    );
    await expect(trainAls(groupedMatrix(8, 1), { ...PARAMS, factors: 0 })).rejects.toThrow(/factors/);
    await expect(trainAls(groupedMatrix(8, 1), { ...PARAMS, alpha: Number.NaN })).rejects.toThrow(/alpha/);
  });

  it('never produces NaN on a degenerate but valid input (two users, two items, one interaction)', async () => {
    const result = await trainAls(csrFromTriples(2, 2, [0], [1], [1]), { ...PARAMS, regularization: 0 });

    expect([...result.userFactors, ...result.itemFactors].every(Number.isFinite)).toBe(true);
  });

  it('uses implicit’s defaults', () => {
    expect(ALS_DEFAULTS).toEqual({
      factors: 100,
      regularization: 0.01,
      alpha: 1,
      iterations: 15,
      cgSteps: 3,
      threads: 1,
      seed: 42,
    });
  });
});

describe('Function: foldInUser (against training)', () => {
  it('recovers a training user’s factors and ranking from their own history', async () => {
    const m = groupedMatrix(120, 5);
    const params = { ...PARAMS, iterations: 15 };
    const { userFactors, itemFactors } = await trainAls(m, params);
    const yty = gramMatrix(itemFactors, m.cols, 8);

    for (const u of [0, 1, 2, 3, 57]) {
      const start = m.indptr[u] as number;
      const end = m.indptr[u + 1] as number;
      const seen = new Set(Array.from(m.indices.subarray(start, end)));
      const trained = userFactors.subarray(u * 8, u * 8 + 8);

      const folded = foldInUser(
        itemFactors,
        8,
        yty,
        m.indices.subarray(start, end),
        m.data.subarray(start, end),
        params,
      );

      let dot = 0;
      let na = 0;
      let nb = 0;
      for (let f = 0; f < 8; f++) {
        dot += (trained[f] as number) * (folded[f] as number);
        na += (trained[f] as number) ** 2;
        nb += (folded[f] as number) ** 2;
      }
      expect(dot / Math.sqrt(na * nb)).toBeGreaterThan(0.99);
      // Training's last user solve used the previous item factors, so near-ties may swap order.
      const foldedTop = ranking(folded, itemFactors, 8, seen).slice(0, 5);
      const trainedTop = ranking(trained, itemFactors, 8, seen).slice(0, 5);
      expect(foldedTop[0]).toBe(trainedTop[0]);
      expect(new Set(foldedTop)).toEqual(new Set(trainedTop));
    }
  });
});

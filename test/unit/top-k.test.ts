import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/core/random.js';
import { createDotKernel } from '../../src/kernels/dot-kernel.js';
import {
  type ListScan,
  type SelectOptions,
  sortedHas,
  type TopK,
  topKDot,
  topKDotLists,
  topKValues,
} from '../../src/ranking/top-k.js';

/** Reference: full sort, ties to the lower index. */
function bruteForce(scores: number[], k: number, skip: Set<number> = new Set()): number[] {
  return scores
    .map((s, i) => ({ s, i }))
    .filter((e) => !skip.has(e.i))
    .sort((a, b) => b.s - a.s || a.i - b.i)
    .slice(0, k)
    .map((e) => e.i);
}

const plain = (top: TopK): { indices: number[]; scores: number[] } => ({
  indices: [...top.indices],
  scores: [...top.scores],
});

/** Exact dot products of every row with `q`, summed in float64 like the scoring loop. */
function dots(m: Float32Array, dim: number, q: readonly number[]): number[] {
  return Array.from({ length: m.length / dim }, (_, r) => {
    let s = 0;
    for (let f = 0; f < dim; f++) s += (m[r * dim + f] as number) * (q[f] as number);
    return s;
  });
}

/** Random rows x dim matrix; `levels` > 0 quantises values so that many scores tie exactly. */
function randomMatrix(rows: number, dim: number, seed: number, levels = 0): Float32Array {
  const rand = createRng(seed);
  return Float32Array.from({ length: rows * dim }, () => {
    const x = rand() * 2 - 1;
    return levels > 0 ? Math.round(x * levels) / levels : x;
  });
}

/** A list scan over fixed lists that records how often `more()` was asked for. */
function listScan(
  offsets: number[],
  probes: number[],
  more: number[],
): { scan: ListScan; moreCalls: () => number } {
  let calls = 0;
  return {
    scan: {
      offsets: Int32Array.from(offsets),
      probes: Int32Array.from(probes),
      more: () => {
        calls++;
        return Int32Array.from(more);
      },
    },
    moreCalls: () => calls,
  };
}

describe('Function: topKDot', () => {
  // 3 items x 3 factors; query (1, 2, 3): scores by hand are 1, 5, 3.5.
  const items = Float32Array.of(1, 0, 0, 0, 1, 1, 0.5, 0, 1);
  const query = [1, 2, 3];

  it('returns the k best rows, best first, with their dot products', () => {
    // Act
    const top = topKDot(items, 3, query, 2);
    // Assess
    expect(plain(top)).toEqual({ indices: [1, 2], scores: [5, 3.5] });
  });

  it('returns fewer than k when fewer rows exist, never padding', () => {
    // Act
    const top = topKDot(items, 3, query, 10);
    // Assess
    expect(plain(top)).toEqual({ indices: [1, 2, 0], scores: [5, 3.5, 1] });
  });

  it('leaves out excluded rows and still fills k from the rest', () => {
    // Act
    const top = topKDot(items, 3, query, 2, { excluded: Int32Array.of(1) });
    // Assess
    expect(plain(top)).toEqual({ indices: [2, 0], scores: [3.5, 1] });
  });

  it('considers only candidate rows when given', () => {
    // Act
    const top = topKDot(items, 3, query, 3, { candidates: Int32Array.of(0, 2) });
    // Assess
    expect(plain(top)).toEqual({ indices: [2, 0], scores: [3.5, 1] });
  });

  it('multiplies each score by its row scale', () => {
    // Act
    const top = topKDot(items, 3, query, 3, { rowScale: Float32Array.of(10, 0.5, 1) });
    // Assess
    expect(plain(top)).toEqual({ indices: [0, 2, 1], scores: [10, 3.5, 2.5] });
  });

  it('breaks ties by the lower index, whatever the arrival order of the heap', () => {
    // Prepare: five identical rows, so every score ties and the first three indices win.
    const same = new Float32Array(5 * 2).fill(1);
    // Act
    const top = topKDot(same, 2, [1, 1], 3);
    // Assess
    expect(plain(top)).toEqual({ indices: [0, 1, 2], scores: [2, 2, 2] });
  });

  it('agrees with a full sort on random data, including ties and exclusions', () => {
    // Prepare: quantised values make many exact ties.
    const dim = 5;
    const m = randomMatrix(2000, dim, 7, 8);
    const q = [0.5, 0.25, 1, 0.125, 0.75];
    const excluded = Int32Array.from({ length: 200 }, (_, i) => i * 7);
    // Act
    const top = topKDot(m, dim, q, 25, { excluded });
    // Assess
    expect([...top.indices]).toEqual(bruteForce(dots(m, dim, q), 25, new Set(excluded)));
  });

  it('returns nothing for k = 0 or an empty matrix', () => {
    // Act
    const none = [topKDot(items, 3, query, 0), topKDot(new Float32Array(0), 3, query, 5)];
    // Assess
    expect(none.map(plain)).toEqual([
      { indices: [], scores: [] },
      { indices: [], scores: [] },
    ]);
  });
});

describe('Function: topKDotLists', () => {
  // 100 rows in ten lists of ten (list l = rows 10l .. 10l + 9). With the query (1, 0) a row's score
  // is its first coordinate, r + 1: later lists hold better rows, so the result shows which were scanned.
  const dim = 2;
  const matrix = Float32Array.from({ length: 100 * dim }, (_, i) => (i % 2 === 0 ? i / 2 + 1 : 0));
  const query = [1, 0];
  const offsets = Array.from({ length: 11 }, (_, l) => l * 10);
  const rest = (...skip: number[]): number[] => [...Array(10).keys()].filter((l) => !skip.includes(l));
  const range = (from: number, to: number): Int32Array =>
    Int32Array.from({ length: to - from }, (_, i) => from + i);

  it('scans only the probed lists when nothing is filtered, and never asks for more', () => {
    // Prepare
    const { scan, moreCalls } = listScan(offsets, [0, 1], rest(0, 1));
    // Act
    const top = topKDotLists(matrix, dim, query, 3, scan);
    // Assess: the best rows (lists 2..9) are never scanned.
    expect({ ...plain(top), moreCalls: moreCalls() }).toEqual({
      indices: [19, 18, 17],
      scores: [20, 19, 18],
      moreCalls: 0,
    });
  });

  it('scans further lists, in the order given, while fewer than k rows qualified', () => {
    // Prepare: one probed list of ten rows for k = 12; the remaining lists come worst first.
    const { scan, moreCalls } = listScan(offsets, [0], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // Act
    const top = topKDotLists(matrix, dim, query, 12, scan);
    // Assess: list 1 fills k, and list 2 onwards is not scanned.
    expect({ indices: [...top.indices], moreCalls: moreCalls() }).toEqual({
      indices: [19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8],
      moreCalls: 1,
    });
  });

  it('with a filter, scans on until the scanned lists hold 90% of the probed rows in qualifying rows', () => {
    // Prepare: even rows only (half of every list, as of the catalogue); probes hold 20 rows, 10 qualify.
    const even = Int32Array.from({ length: 50 }, (_, i) => 2 * i);
    const { scan } = listScan(offsets, [0, 1], [2, 3, 4, 5, 6, 7, 8, 9]);
    // Act
    const top = topKDotLists(matrix, dim, query, 3, scan, { candidates: even });
    // Assess: lists 2 and 3 bring qualifying rows to 20 >= 18; list 4 is not scanned.
    expect(plain(top)).toEqual({ indices: [38, 36, 34], scores: [39, 37, 35] });
  });

  it('scans every list when exclusions hit the probed lists far harder than the rest: the exact answer', () => {
    // Prepare: 18 of the 20 probed rows excluded (10% left) while 82% of the catalogue qualifies.
    const excluded = range(0, 18);
    const { scan } = listScan(offsets, [0, 1], rest(0, 1));
    // Act
    const top = topKDotLists(matrix, dim, query, 3, scan, { excluded });
    // Assess
    expect(plain(top)).toEqual(plain(topKDot(matrix, dim, query, 3, { excluded })));
    expect([...top.indices]).toEqual([99, 98, 97]);
  });

  it('returns every qualifying row when all lists together hold fewer than k', () => {
    // Prepare
    const candidates = Int32Array.of(3, 14, 15, 77);
    const { scan } = listScan(offsets, [1], rest(1));
    // Act
    const top = topKDotLists(matrix, dim, query, 8, scan, { candidates, excluded: Int32Array.of(15) });
    // Assess: three rows qualify; no padding.
    expect(plain(top)).toEqual({ indices: [77, 14, 3], scores: [78, 15, 4] });
  });

  it('treats candidates as a filter over the scanned lists, not as rows to scan', () => {
    // Prepare: candidate rows 1 and 95; the probe holds row 1 only.
    const { scan, moreCalls } = listScan(offsets, [0], rest(0));
    // Act
    const top = topKDotLists(matrix, dim, query, 2, scan, { candidates: Int32Array.of(1, 95) });
    // Assess: row 95 is reached through more(), in list 9.
    expect({ ...plain(top), moreCalls: moreCalls() }).toEqual({
      indices: [95, 1],
      scores: [96, 2],
      moreCalls: 1,
    });
  });

  it('gives exact scores: the same rows and scores as topKDot restricted to the scanned rows', () => {
    // Prepare: 3000 random rows in uneven lists, 4 probed, a row scale and few exclusions (no more scanned).
    const d = 16;
    const m = randomMatrix(3000, d, 11);
    const q = Array.from({ length: d }, (_, f) => Math.sin(f + 1));
    const cuts = [0];
    const rand = createRng(3);
    while ((cuts.at(-1) as number) < 3000) {
      cuts.push(Math.min(3000, (cuts.at(-1) as number) + 20 + Math.floor(rand() * 180)));
    }
    const probes = [5, 0, 17, 2];
    const scanned = probes.flatMap((l) => [...range(cuts[l] as number, cuts[l + 1] as number)]);
    const options: SelectOptions = {
      excluded: Int32Array.from({ length: 30 }, (_, i) => i * 100),
      rowScale: Float32Array.from({ length: 3000 }, (_, r) => 1 + (r % 3) / 4),
    };
    const { scan, moreCalls } = listScan(cuts, probes, []);
    // Act
    const top = topKDotLists(m, d, q, 20, scan, options);
    // Assess
    const oracle = topKDot(m, d, q, 20, { ...options, candidates: Int32Array.from(scanned).sort() });
    expect({ ...plain(top), moreCalls: moreCalls() }).toEqual({ ...plain(oracle), moreCalls: 0 });
    expect(top.indices.length).toBe(20);
  });

  it('returns nothing for k = 0', () => {
    // Prepare
    const { scan, moreCalls } = listScan(offsets, [0], rest(0));
    // Act
    const top = topKDotLists(matrix, dim, query, 0, scan);
    // Assess
    expect({ ...plain(top), moreCalls: moreCalls() }).toEqual({ indices: [], scores: [], moreCalls: 0 });
  });
});

describe('Option: kernel (WebAssembly SIMD) against the JS loop', () => {
  const dim = 24;
  const rows = 5000;
  // Quantised values give exact ties, so the tie-break is exercised on both paths.
  const m = randomMatrix(rows, dim, 21, 16);
  const kernel = createDotKernel(m, dim);
  const queries = Array.from({ length: 5 }, (_, i) => Array.from(randomMatrix(1, dim, 100 + i)));
  const excluded = Int32Array.from({ length: 500 }, (_, i) => i * 9 + 1);
  const candidates = Int32Array.from({ length: 2500 }, (_, i) => i * 2);
  const rowScale = Float32Array.from({ length: rows }, (_, r) => 0.5 + (r % 7) / 7);

  it('is available on this runtime (Node 22 has WebAssembly SIMD)', () => {
    expect(kernel?.rows).toBe(rows);
  });

  it('gives topKDot results identical bit for bit, with and without options', () => {
    // Prepare
    const variants: SelectOptions[] = [{}, { excluded }, { candidates, excluded }, { rowScale, excluded }];
    for (const q of queries) {
      for (const options of variants) {
        // Act
        const js = topKDot(m, dim, q, 50, options);
        const wasm = topKDot(m, dim, q, 50, { ...options, kernel });
        // Assess
        expect(plain(wasm)).toEqual(plain(js));
      }
    }
  });

  it('gives topKDotLists results identical bit for bit, including lists reached through more()', () => {
    // Prepare: 50 lists of 100 rows; candidates filter out half, exclusions more.
    const offsets = Array.from({ length: 51 }, (_, l) => l * 100);
    for (const q of queries) {
      const scanOf = (): ListScan => listScan(offsets, [3, 30], [7, 8, 9, 10, 11, 12]).scan;
      const options: SelectOptions = { candidates, excluded, rowScale };
      // Act
      const js = topKDotLists(m, dim, q, 150, scanOf(), options);
      const wasm = topKDotLists(m, dim, q, 150, scanOf(), { ...options, kernel });
      // Assess
      expect(plain(wasm)).toEqual(plain(js));
      expect(js.indices.length).toBe(150);
    }
  });

  it('is ignored when its shape differs from the matrix (falls back to the JS loop)', () => {
    // Prepare: a kernel over the first half of the rows only.
    const half = createDotKernel(m.subarray(0, (rows / 2) * dim), dim);
    const q = queries[0] as number[];
    // Act
    const top = topKDot(m, dim, q, 10, { kernel: half });
    // Assess
    expect(plain(top)).toEqual(plain(topKDot(m, dim, q, 10)));
  });
});

describe('Function: topKValues', () => {
  it('selects the largest values with lower-index tie-break', () => {
    // Act
    const top = topKValues([3, 5, 5, 1, 4], 3);
    // Assess
    expect(plain(top)).toEqual({ indices: [1, 2, 4], scores: [5, 5, 4] });
  });

  it('skips NaN values', () => {
    // Act
    const top = topKValues([Number.NaN, 1, Number.NaN, 2], 4);
    // Assess
    expect(plain(top)).toEqual({ indices: [3, 1], scores: [2, 1] });
  });

  it('honours candidates, exclusions and a row scale', () => {
    // Act
    const top = topKValues([3, 5, 5, 1, 4], 5, {
      candidates: Int32Array.of(0, 1, 3, 4),
      excluded: Int32Array.of(1),
      rowScale: Float32Array.of(1, 1, 1, 10, 0.5),
    });
    // Assess
    expect(plain(top)).toEqual({ indices: [3, 0, 4], scores: [10, 3, 2] });
  });
});

describe('Function: sortedHas', () => {
  it('finds members of an ascending array by binary search', () => {
    // Prepare
    const sorted = Int32Array.of(1, 4, 9, 16);
    // Act
    const found = [0, 1, 4, 5, 16, 17].map((v) => sortedHas(sorted, v));
    // Assess
    expect(found).toEqual([false, true, true, false, true, false]);
    expect(sortedHas(undefined, 1)).toBe(false);
  });
});

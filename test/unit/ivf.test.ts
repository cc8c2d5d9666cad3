import { describe, expect, it, vi } from 'vitest';
import { createDotKernel } from '../../src/kernels/dot-kernel.js';
import {
  buildIvf,
  centroidScores,
  IVF_TARGET_RECALL,
  type IvfIndex,
  type IvfView,
  probeLists,
} from '../../src/ranking/ivf.js';
import { topKDot, topKDotLists, topKValues } from '../../src/ranking/top-k.js';
import { clusteredVectors } from '../helpers/clustered-model.js';

// Fault injection: a runtime without WebAssembly SIMD, where createDotKernel returns undefined and
// the index is built with the JS loops. Off unless a test turns it on.
const simd = vi.hoisted(() => ({ off: false }));
vi.mock('../../src/kernels/dot-kernel.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/kernels/dot-kernel.js')>();
  return {
    ...original,
    createDotKernel: (matrix: Float32Array, dim: number) =>
      simd.off ? undefined : original.createDotKernel(matrix, dim),
  };
});

/** Items in the index's stored order (list after list), as the artifact stores them. */
function reorder(items: Float32Array, dim: number, order: Int32Array): Float32Array {
  const out = new Float32Array(items.length);
  order.forEach((old, row) => {
    out.set(items.subarray(old * dim, (old + 1) * dim), row * dim);
  });
  return out;
}

/** Mean recall@10 of IVF search at `nprobe` against exact scoring, over `queries` (rows x dim). */
function recallAt10(stored: Float32Array, view: IvfView, queries: Float32Array, nprobe: number): number {
  const dim = view.dim;
  const kernel = createDotKernel(stored, dim);
  let hit = 0;
  let total = 0;
  for (let q = 0; q < queries.length / dim; q++) {
    const query = queries.subarray(q * dim, (q + 1) * dim);
    const exact = topKDot(stored, dim, query, 10, { kernel });
    const ann = new Set(
      topKDotLists(stored, dim, query, 10, probeLists(view, query, nprobe), { kernel }).indices,
    );
    for (const row of exact.indices) if (ann.has(row)) hit++;
    total += exact.indices.length;
  }
  return hit / total;
}

function isPermutation(order: Int32Array): boolean {
  const seen = new Uint8Array(order.length);
  for (const i of order) {
    if (i < 0 || i >= order.length || seen[i] === 1) return false;
    seen[i] = 1;
  }
  return true;
}

function isMonotone(offsets: Int32Array): boolean {
  return offsets.every((o, l) => l === 0 || o >= (offsets[l - 1] as number));
}

describe('Function: buildIvf', () => {
  // 20k items x 32 factors from 50 taste groups with power-law norms; 2000 users from the same
  // groups: the first 200 tune nprobe, the other 1800 are held out.
  const dim = 32;
  const model = clusteredVectors({ items: 20_000, users: 2_000, factors: dim, groups: 50, seed: 7 });
  const tuning = model.users.subarray(0, 200 * dim);
  const heldOut = model.users.subarray(200 * dim);
  const index: IvfIndex = buildIvf(model.items, dim, { queries: tuning, seed: 42 });
  const stored = reorder(model.items, dim, index.order);
  const view: IvfView = { centroids: index.centroids, offsets: index.offsets, lists: index.lists, dim };

  it('puts every item in exactly one list: the order is a permutation and the offsets cover it', () => {
    // Assess: about sqrt(items) lists, list l = rows offsets[l] .. offsets[l + 1] - 1 of the order.
    expect({
      lists: index.lists,
      centroids: index.centroids.length,
      offsets: index.offsets.length,
      first: index.offsets[0],
      last: index.offsets[index.lists],
      monotone: isMonotone(index.offsets),
      permutation: isPermutation(index.order),
    }).toEqual({
      lists: Math.round(Math.sqrt(20_000)),
      centroids: Math.round(Math.sqrt(20_000)) * dim,
      offsets: Math.round(Math.sqrt(20_000)) + 1,
      first: 0,
      last: 20_000,
      monotone: true,
      permutation: true,
    });
  });

  it('clusters by taste: most items of a list come from one taste group', () => {
    // Prepare
    let majority = 0;
    for (let l = 0; l < index.lists; l++) {
      const counts = new Map<number, number>();
      for (let row = index.offsets[l] as number; row < (index.offsets[l + 1] as number); row++) {
        const g = model.itemGroup[index.order[row] as number] as number;
        counts.set(g, (counts.get(g) ?? 0) + 1);
      }
      majority += Math.max(0, ...counts.values());
    }
    // Assess: a random assignment would give about 1 / 50.
    expect(majority / 20_000).toBeGreaterThan(0.8);
  });

  it('tunes nprobe to the smallest number of lists that reaches the target recall on its tuning queries', () => {
    // Act: recall of real IVF searches over the same 200 queries (fewer than maxQueries, so all are used).
    const atNprobe = recallAt10(stored, view, tuning, index.nprobe);
    const below = recallAt10(stored, view, tuning, index.nprobe - 1);
    // Assess
    expect({ queries: index.queries, reported: index.recallAt10 >= IVF_TARGET_RECALL }).toEqual({
      queries: 200,
      reported: true,
    });
    expect(atNprobe).toBeCloseTo(index.recallAt10, 10);
    expect(below).toBeLessThan(IVF_TARGET_RECALL);
    // A useful index scans a small part of the catalogue.
    expect(index.nprobe).toBeLessThan(index.lists / 4);
  });

  it('reaches recall@10 >= 0.98 against exact scoring on held-out queries', () => {
    // Act
    const recall = recallAt10(stored, view, heldOut, index.nprobe);
    // Assess
    expect(recall).toBeGreaterThanOrEqual(0.98);
  });

  it('is reproducible: the same seed gives the same index', () => {
    // Act
    const again = buildIvf(model.items, dim, { queries: tuning, seed: 42 });
    // Assess
    expect({ order: again.order, offsets: again.offsets, nprobe: again.nprobe }).toEqual({
      order: index.order,
      offsets: index.offsets,
      nprobe: index.nprobe,
    });
  });

  it("builds the same index without WebAssembly SIMD (JS loops sum in the kernel's order)", () => {
    // Prepare
    const small = clusteredVectors({ items: 4000, users: 200, factors: 24, groups: 20, seed: 5 });
    const withKernel = buildIvf(small.items, 24, { queries: small.users, seed: 1 });
    // Act
    simd.off = true;
    let withoutKernel: IvfIndex;
    let kernelWhileOff: unknown;
    try {
      kernelWhileOff = createDotKernel(small.items, 24);
      withoutKernel = buildIvf(small.items, 24, { queries: small.users, seed: 1 });
    } finally {
      simd.off = false;
    }
    // Assess
    expect(kernelWhileOff).toBeUndefined();
    expect(withoutKernel).toEqual(withKernel);
  });

  it('caps the number of lists by the number of rows for small inputs', () => {
    // Prepare
    const tiny = clusteredVectors({ items: 5, users: 3, factors: 4, groups: 2, seed: 1 });
    // Act
    const byDefault = buildIvf(tiny.items, 4);
    const asked = buildIvf(tiny.items, 4, { lists: 64, queries: tiny.users });
    const one = buildIvf(tiny.items.subarray(0, 4), 4);
    // Assess: every small index still partitions its rows and reaches full recall.
    expect(
      [byDefault, asked, one].map((ix) => ({
        lists: ix.lists,
        offsets: ix.offsets.length,
        last: ix.offsets[ix.lists],
        permutation: isPermutation(ix.order),
        monotone: isMonotone(ix.offsets),
        nprobeInRange: ix.nprobe >= 1 && ix.nprobe <= ix.lists,
        recall: ix.recallAt10,
      })),
    ).toEqual([
      { lists: 5, offsets: 6, last: 5, permutation: true, monotone: true, nprobeInRange: true, recall: 1 },
      { lists: 5, offsets: 6, last: 5, permutation: true, monotone: true, nprobeInRange: true, recall: 1 },
      { lists: 1, offsets: 2, last: 1, permutation: true, monotone: true, nprobeInRange: true, recall: 1 },
    ]);
  });
});

describe('Function: probeLists', () => {
  // Four lists with centroids along the axes; the query (1, 2) scores them 1, 2, -1, -2.
  const view: IvfView = {
    centroids: Float32Array.of(1, 0, 0, 1, -1, 0, 0, -1),
    offsets: Int32Array.of(0, 2, 5, 6, 9),
    lists: 4,
    dim: 2,
  };

  it('probes the nprobe lists with the best centroid scores, best first, and offers the rest in order', () => {
    // Act
    const scan = probeLists(view, [1, 2], 2);
    // Assess
    expect({ probes: [...scan.probes], more: [...scan.more()], offsets: scan.offsets }).toEqual({
      probes: [1, 0],
      more: [2, 3],
      offsets: view.offsets,
    });
  });

  it('probes every list when nprobe exceeds the number of lists', () => {
    // Act
    const scan = probeLists(view, [1, 2], 10);
    // Assess
    expect({ probes: [...scan.probes], more: [...scan.more()] }).toEqual({ probes: [1, 0, 2, 3], more: [] });
  });

  it('scores centroids the same with the kernel as with the JS loop', () => {
    // Prepare
    const { items } = clusteredVectors({ items: 3000, users: 1, factors: 16, groups: 5, seed: 3 });
    const query = items.subarray(0, 16);
    // Act
    const js = centroidScores(items, 16, 3000, query);
    const wasm = centroidScores(items, 16, 3000, query, createDotKernel(items, 16));
    // Assess
    expect(wasm).toEqual(js);
    expect([...topKValues(js, 3).indices]).toEqual([...topKValues(wasm, 3).indices]);
  });
});

import { describe, expect, it, vi } from 'vitest';
import { cutoffs, rankingMetrics } from '../../training/metrics.js';
import { csrFromRows } from '../helpers/csr.js';

const csr = csrFromRows;

const LOG2_3 = Math.log2(3);

describe('Function: rankingMetrics', () => {
  it('matches hand-computed values for one user at k = 1, 2, 3', () => {
    // Prepare: 10 items, held out {2, 5}; ranking 5 (hit), 1 (miss), 2 (hit), 3.
    const test = csr([[2, 5]], 10);

    // Act
    const result = rankingMetrics(() => [5, 1, 2, 3], test, [1, 2, 3]);

    // Assess: worked by hand from implicit's definitions (negatives = 10 - 2 = 8).
    const expected = [
      {
        k: 1,
        precision: 1,
        map: 1,
        ndcg: 1,
        auc: 12 / 16,
        plainPrecision: 1,
        recall: 0.5,
        coverage: 0.1,
        users: 1,
      },
      {
        k: 2,
        precision: 0.5,
        map: 0.5,
        ndcg: 1 / (1 + 1 / LOG2_3),
        auc: (1 + 1.5 * 7) / 16,
        plainPrecision: 0.5,
        recall: 0.5,
        coverage: 0.2,
        users: 1,
      },
      {
        k: 3,
        precision: 1,
        map: (1 + 2 / 3) / 2,
        ndcg: 1.5 / (1 + 1 / LOG2_3),
        auc: (1 + 2 * 7) / 16,
        plainPrecision: 2 / 3,
        recall: 1,
        coverage: 0.3,
        users: 1,
      },
    ];
    result.forEach((row, i) => {
      const want = expected[i];
      expect(want).toBeDefined();
      for (const [name, value] of Object.entries(want ?? {})) {
        expect(row[name as keyof typeof row], `${name}@${row.k}`).toBeCloseTo(value, 12);
      }
    });
  });

  it('pools precision over users but averages the other metrics per user, skipping users without test items', () => {
    // Prepare: user 0 as above, user 1 holds out {0} and gets [3, 0], user 2 holds out nothing.
    const test = csr([[2, 5], [0], []], 10);
    const lists: Record<number, number[]> = { 0: [5, 1, 2, 3], 1: [3, 0] };
    const recommend = vi.fn((user: number) => lists[user] ?? []);

    // Act
    const [atTwo] = rankingMetrics(recommend, test, [2]);

    // Assess
    expect(recommend.mock.calls.map(([user]) => user)).toEqual([0, 1]);
    const expected = {
      k: 2,
      precision: 2 / 3,
      map: (0.5 + 0.5) / 2,
      ndcg: (1 / (1 + 1 / LOG2_3) + 1 / LOG2_3) / 2,
      auc: ((1 + 1.5 * 7) / 16 + 8 / 9) / 2,
      plainPrecision: 0.5,
      recall: 0.75,
      coverage: 0.4,
      users: 2,
    };
    for (const [name, value] of Object.entries(expected)) {
      expect(atTwo?.[name as keyof typeof expected], name).toBeCloseTo(value, 12);
    }
  });

  it('counts missing slots of a short list as misses', () => {
    // Prepare: 6 items, held out {4}; only one candidate (a miss) was ranked.
    const test = csr([[4]], 6);

    // Act
    const [atThree] = rankingMetrics(() => [1], test, [3]);

    // Assess: 0 hits, 3 misses; AUC = ((0 + 1) / 2) * (5 - 3) / (1 * 5).
    expect(atThree).toEqual({
      k: 3,
      precision: 0,
      map: 0,
      ndcg: 0,
      auc: 0.2,
      plainPrecision: 0,
      recall: 0,
      coverage: 1 / 6,
      users: 1,
    });
  });

  it('equals the exact pairwise AUC when the whole catalogue is ranked', () => {
    // Prepare: a seeded random score per item for 5 users over 30 items, 4 held out each.
    let state = 7;
    const random = (): number => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state / 2 ** 32;
    };
    const items = 30;
    const rows = Array.from({ length: 5 }, (_, u) => [u, u + 7, u + 13, u + 21]);
    const test = csr(rows, items);
    const scores = rows.map(() => Array.from({ length: items }, () => random()));
    const ranking = (u: number): number[] =>
      Array.from({ length: items }, (_, i) => i).sort(
        (a, b) => (scores[u]?.[b] ?? 0) - (scores[u]?.[a] ?? 0),
      );
    const exact =
      rows
        .map((positives, u) => {
          let ordered = 0;
          for (const p of positives) {
            for (let n = 0; n < items; n++) {
              if (!positives.includes(n) && (scores[u]?.[p] ?? 0) > (scores[u]?.[n] ?? 0)) ordered++;
            }
          }
          return ordered / (positives.length * (items - positives.length));
        })
        .reduce((a, b) => a + b, 0) / rows.length;

    // Act
    const [full] = rankingMetrics(ranking, test, [items]);

    // Assess
    expect(full?.auc).toBeCloseTo(exact, 12);
    expect(full?.recall).toBe(1);
  });

  it('rejects cut-offs below 1, fractional or repeated', () => {
    for (const ks of [[0], [1.5], [2, 2], []]) {
      expect(() => rankingMetrics(() => [], csr([[0]], 2), ks), `[${ks}]`).toThrow(
        'cut-offs must be distinct integers >= 1',
      );
    }
  });

  it('returns the cut-offs in the order asked, each computed in the same walk', () => {
    // Prepare: 4 items, held out {1}; ranking 0 (miss), 1 (hit).
    const test = csr([[1]], 4);

    // Act
    const rows = rankingMetrics(() => [0, 1, 2], test, [2, 1]);

    // Assess
    expect(rows.map((row) => [row.k, row.precision, row.recall])).toEqual([
      [2, 1, 1],
      [1, 0, 0],
    ]);
  });
});

describe('Function: cutoffs', () => {
  it('lists 1..n', () => {
    expect(cutoffs(4)).toEqual([1, 2, 3, 4]);
  });
});

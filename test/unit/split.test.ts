import { describe, expect, it } from 'vitest';
import { fnv1aText } from '../../src/core/id-hash.js';
import type { Csr } from '../../src/core/model-data.js';
import {
  compareIds,
  holdoutKey,
  idKey,
  type SplitInput,
  splitByTime,
  splitHoldout,
  splitOf,
  testSetDigest,
} from '../../training/split.js';

/** Interactions from (user, item, value) triples over the given id lists; rows' items ascending by index. */
function interactions(
  userIds: string[],
  videoIds: string[],
  triples: [string, string, number][],
): SplitInput {
  const rows: [number, number][][] = userIds.map(() => []);
  for (const [u, v, value] of triples) rows[userIds.indexOf(u)]?.push([videoIds.indexOf(v), value]);
  const indptr = new Int32Array(userIds.length + 1);
  const indices: number[] = [];
  const data: number[] = [];
  rows.forEach((row, r) => {
    row.sort((a, b) => a[0] - b[0]);
    for (const [i, value] of row) {
      indices.push(i);
      data.push(value);
    }
    indptr[r + 1] = indices.length;
  });
  const matrix: Csr = {
    rows: userIds.length,
    cols: videoIds.length,
    indptr,
    indices: Int32Array.from(indices),
    data: Float32Array.from(data),
  };
  return { userIds, videoIds, matrix };
}

/** The (user, item) pairs of a CSR as "user/item" strings. */
function pairs(m: Csr, input: SplitInput): string[] {
  const out: string[] = [];
  for (let u = 0; u < m.rows; u++) {
    for (let p = m.indptr[u] ?? 0; p < (m.indptr[u + 1] ?? 0); p++) {
      out.push(`${input.userIds[u]}/${input.videoIds[m.indices[p] ?? 0]}`);
    }
  }
  return out;
}

// Known answers below were computed with an independent Python implementation of EVAL.md's formulas.
describe('Function: idKey', () => {
  it('uses the value of canonical integer ids and the FNV-1a hash of anything else', () => {
    expect(fnv1aText('')).toBe(0x811c9dc5);
    expect(fnv1aText('a')).toBe(0xe40c292c);
    expect(fnv1aText('é')).toBe(0x1e9de8c1); // UTF-8 C3 A9
    expect([idKey('42'), idKey('0'), idKey('u001'), idKey('007'), idKey('4294967296')]).toEqual([
      42,
      0,
      389549267,
      3804968462,
      fnv1aText('4294967296'),
    ]);
  });
});

describe('Function: holdoutKey', () => {
  it('follows EVAL.md key(u, i) = fmix32((fmix32(u ^ 42) + imul(i, 0x9e3779b1)) >>> 0)', () => {
    expect([holdoutKey(1, 5), holdoutKey(1, 1), holdoutKey(idKey('u001'), idKey('v004'))]).toEqual([
      838096820, 931240844, 51955926,
    ]);
  });
});

describe('Function: compareIds', () => {
  it('orders integer ids numerically and others by code units', () => {
    expect(['10', '9', '100', '1'].sort(compareIds)).toEqual(['1', '9', '10', '100']);
    expect(['v10', 'v9', 'u1'].sort(compareIds)).toEqual(['u1', 'v10', 'v9']);
  });
});

describe('Function: splitHoldout', () => {
  const input = interactions(
    ['1', 'u001', '7'],
    [
      '1',
      '2',
      '3',
      '4',
      '5',
      '10',
      ...Array.from({ length: 10 }, (_, i) => `v${String(i + 1).padStart(3, '0')}`),
    ],
    [
      ...['1', '2', '3', '4', '5'].map((v): [string, string, number] => ['1', v, 1]),
      ...Array.from({ length: 10 }, (_, i): [string, string, number] => [
        'u001',
        `v${String(i + 1).padStart(3, '0')}`,
        i + 1,
      ]),
      ...['3', '10', '2', '1'].map((v): [string, string, number] => ['7', v, 2]),
    ],
  );

  it('holds out the floor(n / 5) lowest-key pairs of users with n >= 5 and keeps the rest in train', () => {
    // Act
    const split = splitHoldout(input);

    // Assess: user 1 loses its lowest-key item 5, u001 loses v004 and v006, user 7 (n = 4) keeps all.
    expect(pairs(split.test, input)).toEqual(['1/5', 'u001/v004', 'u001/v006']);
    expect({ trainPairs: split.trainPairs, testPairs: split.testPairs, testUsers: split.testUsers }).toEqual({
      trainPairs: 16,
      testPairs: 3,
      testUsers: 2,
    });
    expect(Array.from(split.test.data)).toEqual([1, 4, 6]);
    expect([...pairs(split.train, input), ...pairs(split.test, input)].sort()).toEqual(
      pairs(input.matrix, input).sort(),
    );
    expect([split.train.rows, split.train.cols, split.test.rows, split.test.cols]).toEqual([3, 16, 3, 16]);
  });

  it('is deterministic for a seed and changes with the seed', () => {
    const a = pairs(splitHoldout(input, 42).test, input);
    const b = pairs(splitHoldout(input, 42).test, input);
    const others = [1, 2, 3, 4, 5].map((seed) => pairs(splitHoldout(input, seed).test, input).join());
    expect(a).toEqual(b);
    expect(others.some((other) => other !== a.join())).toBe(true);
  });
});

describe('Function: splitByTime', () => {
  // u1 has 6 pairs (holds out 1), u2 has 10 (holds out 2), u3 has 4 (keeps all). Times: day number per pair.
  const videos = Array.from({ length: 10 }, (_, i) => `v${i}`);
  const input: SplitInput = {
    ...interactions(['u1', 'u2', 'u3'], videos, [
      ...[0, 1, 2, 3, 4, 5].map((i): [string, string, number] => ['u1', `v${i}`, 1]),
      ...videos.map((v): [string, string, number] => ['u2', v, 2]),
      ...[0, 1, 2, 3].map((i): [string, string, number] => ['u3', `v${i}`, 3]),
    ]),
    // Aligned with the pairs in matrix order (rows ascending, videos ascending in each row).
    lastTimestamp: Float64Array.from([
      ...[5, 1, 9, 3, 2, 4], // u1: v2 is the latest
      ...[1, 2, 3, 4, 5, 6, 7, 8, 20, 20], // u2: v8 and v9 tie for the latest
      ...[100, 200, 300, 400], // u3: too few pairs
    ]),
  };

  it("holds out each user's floor(n / 5) most recent pairs and carries the train pairs' times", () => {
    // Act
    const split = splitByTime(input);

    // Assess
    expect(pairs(split.test, input)).toEqual(['u1/v2', 'u2/v8', 'u2/v9']);
    expect([split.kind, split.testPairs, split.testUsers, split.trainPairs]).toEqual(['time', 3, 2, 17]);
    expect(Array.from(split.trainTimestamps ?? [])).toEqual([
      5, 1, 3, 2, 4, 1, 2, 3, 4, 5, 6, 7, 8, 100, 200, 300, 400,
    ]);
  });

  it('breaks ties between equal times by the random split key, so one of two tied pairs goes', () => {
    // Prepare: u2 holds out 1 of 6 pairs, its two latest tie.
    const tie: SplitInput = {
      ...interactions(
        ['u2'],
        videos,
        videos.slice(0, 6).map((v): [string, string, number] => ['u2', v, 1]),
      ),
      lastTimestamp: Float64Array.from([1, 2, 3, 4, 9, 9]),
    };

    // Act
    const held = pairs(splitByTime(tie).test, tie);

    // Assess: the tied pair with the lower random-split key among v4, v5.
    const key = (v: string): number => holdoutKey(idKey('u2'), idKey(v));
    expect(held).toEqual([key('v4') < key('v5') ? 'u2/v4' : 'u2/v5']);
  });

  it('needs a timestamp for every pair', () => {
    const noTimes = { ...input, lastTimestamp: new Float64Array(20).fill(Number.NaN) };
    expect(() => splitByTime(noTimes)).toThrow(
      'the time split needs a timestamp for every (user, video) pair',
    );
    expect(() => splitOf('time', { ...input, lastTimestamp: undefined })).toThrow(RangeError);
    expect(splitOf('random', input).kind).toBe('random');
  });
});

describe('Function: testSetDigest', () => {
  it('hashes byte-sorted user-tab-item-tab-value lines, newline-terminated', () => {
    // Prepare: every pair held out (test matrix = all pairs).
    const input = interactions(
      ['9', '10'],
      ['1', '2', '11'],
      [
        ['10', '2', 5],
        ['9', '1', 3],
        ['10', '11', 1],
      ],
    );

    // Act / Assess: sha256 of "10\t11\t1\n10\t2\t5\n9\t1\t3\n".
    expect(testSetDigest(input.matrix, input.userIds, input.videoIds)).toBe(
      'ccfd5a8297d829ae1b41b24f00d0c96509d63b481415048463ce1114e14acbc2',
    );
  });
});

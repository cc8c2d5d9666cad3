import { describe, expect, it } from 'vitest';
import { viewItems } from '../../src/artifact/index.js';
import {
  filterRows,
  intersectSorted,
  type MetadataIndex,
  sortedUnique,
  unionAll,
} from '../../src/ranking/metadata-index.js';
import { handleOf } from '../helpers/fixture-model.js';

// The fixture's index as the artifact stores it (rows = v001..v006 = 0..5):
// en 0, 2, 3; it 1, 4; code 0, 2, 3; food 1, 2, 4; ts 0, 3; v006 has no metadata.
const handle = handleOf();
const index = viewItems(handle.manifest, handle.items).metadata as MetadataIndex;

const rows = (filter: Parameters<typeof filterRows>[1]): number[] | undefined => {
  const kept = filterRows(index, filter);
  return kept && [...kept];
};

describe('Function: filterRows', () => {
  it('keeps every row (undefined) when the filter sets nothing', () => {
    // Assess
    expect([rows({}), rows({ language: undefined, tags: undefined })]).toEqual([undefined, undefined]);
  });

  it('keeps the rows in a language, or in any of several, ignoring case and surrounding spaces', () => {
    // Assess
    expect([rows({ language: 'EN' }), rows({ language: [' it', 'en '] }), rows({ language: 'de' })]).toEqual([
      [0, 2, 3],
      [0, 1, 2, 3, 4],
      [],
    ]);
  });

  it('keeps rows carrying any of the tags, and intersects with the language', () => {
    // Assess
    expect([
      rows({ tags: ['ts', 'FOOD'] }),
      rows({ language: 'en', tags: ['food'] }),
      rows({ language: ['it'], tags: ['code'] }),
    ]).toEqual([[0, 1, 2, 3, 4], [2], []]);
  });

  it('matches only stored keys, never inherited object properties', () => {
    // Assess: the index is a plain JSON object; "constructor" and "__proto__" are not languages.
    expect([rows({ language: 'constructor' }), rows({ tags: ['__proto__', 'toString'] })]).toEqual([[], []]);
  });
});

describe('Function: sortedUnique', () => {
  it('sorts numerically and drops repeats', () => {
    // Assess
    expect([...sortedUnique([10, 2, 2, 33, 1, 10])]).toEqual([1, 2, 10, 33]);
    expect([...sortedUnique([])]).toEqual([]);
  });
});

describe('Function: unionAll', () => {
  it('merges ascending lists into one ascending list without repeats', () => {
    // Assess
    expect([...unionAll([Int32Array.of(1, 5, 9), Int32Array.of(2, 5), Int32Array.of(9, 10)])]).toEqual([
      1, 2, 5, 9, 10,
    ]);
    expect([...unionAll([])]).toEqual([]);
  });
});

describe('Function: intersectSorted', () => {
  it('keeps the rows both ascending lists hold', () => {
    // Assess
    expect([
      [...intersectSorted(Int32Array.of(1, 3, 5, 7), Int32Array.of(2, 3, 4, 7, 8))],
      [...intersectSorted(Int32Array.of(1, 2), Int32Array.of())],
    ]).toEqual([[3, 7], []]);
  });
});

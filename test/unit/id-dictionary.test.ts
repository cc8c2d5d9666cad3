import { describe, expect, it } from 'vitest';
import { IdDictionary } from '../../training/id-dictionary.js';

describe('Class: IdDictionary', () => {
  it('gives indices in first-seen order and the same index to a repeated id', () => {
    // Prepare
    const ids = new IdDictionary();

    // Act
    const indices = ['u2', 'u1', 'u2', 'ü', 'u1', 'ü'].map((id) => ids.index(id));

    // Assess
    expect({ indices, ids: ids.ids, size: ids.size }).toEqual({
      indices: [0, 1, 0, 2, 1, 2],
      ids: ['u2', 'u1', 'ü'],
      size: 3,
    });
  });

  it('shares indices between integer ids and their decimal text, whichever comes first', () => {
    // Prepare
    const ids = new IdDictionary();

    // Act
    const indices = [
      ids.index('7'),
      ids.indexOfInteger(7),
      ids.indexOfInteger(-3),
      ids.index('-3'),
      ids.indexOfInteger(7),
    ];

    // Assess
    expect({ indices, ids: ids.ids }).toEqual({ indices: [0, 0, 1, 1, 0], ids: ['7', '-3'] });
  });

  it('keeps every id through many growths of both tables', () => {
    // Prepare
    const ids = new IdDictionary();
    const n = 50_000;

    // Act
    for (let i = 0; i < n; i++) ids.index(`id-${i}`);
    for (let i = 0; i < n; i++) ids.indexOfInteger(i * 1_000_003);
    const again = [
      ids.index('id-0'),
      ids.index(`id-${n - 1}`),
      ids.indexOfInteger(0),
      ids.indexOfInteger((n - 1) * 1_000_003),
    ];

    // Assess
    expect({ size: ids.size, again, bytes: ids.tableBytes() > 0 }).toEqual({
      size: 2 * n,
      again: [0, n - 1, n, 2 * n - 1],
      bytes: true,
    });
  });
});

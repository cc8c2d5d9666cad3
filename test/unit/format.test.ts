import { describe, expect, it } from 'vitest';
import {
  pointerFor,
  pointerSchema,
  timestampId,
  versionDir,
  versionIdSchema,
} from '../../src/artifact/format.js';

describe('Function: timestampId', () => {
  it('writes UTC to the second, in an order that sorts like time', () => {
    // Prepare
    const dates = ['2025-01-02T03:04:05.678Z', '2024-12-31T23:59:59.999Z', '2025-01-02T03:04:06.000Z'].map(
      (d) => new Date(d),
    );

    // Act
    const ids = dates.map(timestampId);

    // Assess
    expect({ ids, sorted: [...ids].sort() }).toEqual({
      ids: ['20250102T030405Z', '20241231T235959Z', '20250102T030406Z'],
      sorted: ['20241231T235959Z', '20250102T030405Z', '20250102T030406Z'],
    });
  });
});

describe('Function: pointerFor', () => {
  it('names the manifest inside the version folder, and passes the pointer schema', () => {
    // Act
    const pointer = pointerFor('20250102T030405Z-0123abcd');

    // Assess
    expect({
      pointer,
      dir: versionDir('20250102T030405Z-0123abcd'),
      valid: pointerSchema.safeParse(pointer).success,
    }).toEqual({
      pointer: {
        version: '20250102T030405Z-0123abcd',
        manifest: 'models/20250102T030405Z-0123abcd/manifest.json',
      },
      dir: 'models/20250102T030405Z-0123abcd',
      valid: true,
    });
  });
});

describe('Schema: versionIdSchema', () => {
  it('accepts a timestamp and 8 lowercase hex digits only', () => {
    // Act
    const accepted = [
      '20250102T030405Z-0123abcd',
      'latest',
      '20250102T030405Z-0123ABCD',
      '20250102T030405Z-0123abc',
      '20250102T030405-0123abcd',
      '../20250102T030405Z-0123abcd',
    ].map((id) => versionIdSchema.safeParse(id).success);

    // Assess
    expect(accepted).toEqual([true, false, false, false, false, false]);
  });
});

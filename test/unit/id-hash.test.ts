import { describe, expect, it } from 'vitest';
import { bytesEqualId, decodeId, hashBytes, idHash } from '../../src/core/id-hash.js';
import { fmix32 } from '../../src/core/random.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** The id's bytes placed at `start` inside a larger buffer of filler bytes. */
function embedded(id: string, start: number): { bytes: Uint8Array; start: number; end: number } {
  const encoded = utf8(id);
  const bytes = new Uint8Array(start + encoded.length + 5).fill(0x7a);
  bytes.set(encoded, start);
  return { bytes, start, end: start + encoded.length };
}

describe('Function: idHash', () => {
  it('is FNV-1a 32 finished by fmix32 (published FNV-1a test vectors)', () => {
    // Prepare: FNV-1a 32-bit of "", "a" and "foobar" from the FNV test vectors,
    // http://www.isthe.com/chongo/tech/comp/fnv/index.html#FNV-test-vectors
    const fnv1a = { '': 0x811c9dc5, a: 0xe40c292c, foobar: 0xbf9cf968 };

    // Act
    const hashes = Object.keys(fnv1a).map((id) => idHash(id));

    // Assess
    expect(hashes).toEqual(Object.values(fnv1a).map((h) => fmix32(h)));
  });

  it('gives the known answers the format is built on, ASCII and not', () => {
    // Prepare: computed once by an independent Python implementation; changing any breaks every artifact
    const known: Record<string, number> = {
      '': 0xab3e7c0b,
      u001: 0x7b7b3ed6,
      v001: 0x69d4744d,
      é: 0x8e4756c7,
      ユーザー: 0xcd5d7ee8,
      '😀': 0x3303a80a,
      'user-ü-42': 0xe79762e5,
    };

    // Act
    const actual = Object.fromEntries(Object.keys(known).map((id) => [id, idHash(id)]));

    // Assess
    expect(actual).toEqual(known);
  });

  it('hashes the UTF-8 bytes, so the string and byte paths agree, including an ASCII prefix before a non-ASCII char', () => {
    // Prepare
    const ids = ['u001', 'abc-é', 'ü', '日本語のID', 'mixed😀tail', ''];

    // Act
    const pairs = ids.map((id) => [idHash(id), hashBytes(utf8(id))]);

    // Assess
    expect(pairs.every(([a, b]) => a === b)).toBe(true);
  });

  it('hashes a range of a larger buffer the same as the bytes alone', () => {
    // Prepare
    const { bytes, start, end } = embedded('ユーザー7', 9);

    // Act
    const inRange = hashBytes(bytes, start, end);

    // Assess
    expect(inRange).toBe(idHash('ユーザー7'));
  });

  it('returns unsigned 32-bit integers', () => {
    // Prepare
    const ids = Array.from({ length: 200 }, (_, i) => `user-${i}`);

    // Act
    const hashes = ids.map(idHash);

    // Assess
    expect(hashes.every((h) => Number.isInteger(h) && h >= 0 && h <= 0xffffffff)).toBe(true);
    expect(hashes.some((h) => h > 0x7fffffff)).toBe(true);
  });
});

describe('Function: bytesEqualId', () => {
  it('matches exactly the UTF-8 encoding of the id, anywhere in a buffer', () => {
    // Prepare
    const cases = ['u001', 'é', 'ユーザー', '😀x', ''].map((id) => ({ id, ...embedded(id, 3) }));

    // Act
    const matches = cases.map(({ id, bytes, start, end }) => bytesEqualId(bytes, start, end, id));

    // Assess
    expect(matches).toEqual([true, true, true, true, true]);
  });

  it('refuses a prefix, a longer id, a different char and a same-length non-ASCII id', () => {
    // Prepare: 'e\u0301' (e + combining accent) is 3 UTF-8 bytes, as is 'ab' + 1; 'é' is 2 bytes like 'ab'
    const { bytes, start, end } = embedded('ab', 0);

    // Act
    const results = {
      prefix: bytesEqualId(bytes, start, end, 'a'),
      longer: bytesEqualId(bytes, start, end, 'abc'),
      different: bytesEqualId(bytes, start, end, 'ac'),
      nonAsciiSameBytes: bytesEqualId(bytes, start, end, 'é'),
      nonAsciiAfterMatch: bytesEqualId(bytes, start, end, 'aé'),
    };

    // Assess
    expect(results).toEqual({
      prefix: false,
      longer: false,
      different: false,
      nonAsciiSameBytes: false,
      nonAsciiAfterMatch: false,
    });
  });

  it('tells apart non-ASCII ids whose bytes differ only in the last byte', () => {
    // Prepare: 'é' = c3 a9, 'ê' = c3 aa
    const { bytes, start, end } = embedded('café', 2);

    // Act
    const results = [bytesEqualId(bytes, start, end, 'café'), bytesEqualId(bytes, start, end, 'cafê')];

    // Assess
    expect(results).toEqual([true, false]);
  });
});

describe('Function: decodeId', () => {
  it('decodes ASCII, non-ASCII and long ids from a range of a buffer', () => {
    // Prepare
    const ids = ['u001', 'é-ü', '😀', 'x'.repeat(100), `${'y'.repeat(70)}é`];

    // Act
    const decoded = ids.map((id) => {
      const { bytes, start, end } = embedded(id, 5);
      return decodeId(bytes, start, end);
    });

    // Assess
    expect(decoded).toEqual(ids);
  });

  it('decodes from shared memory', () => {
    // Prepare
    const encoded = utf8('ユーザー-1');
    const shared = new Uint8Array(new SharedArrayBuffer(encoded.length + 8));
    shared.set(encoded, 8);

    // Act
    const decoded = [
      decodeId(shared, 8, 8 + encoded.length),
      decodeId(shared.subarray(4), 4, 4 + encoded.length),
    ];

    // Assess
    expect(decoded).toEqual(['ユーザー-1', 'ユーザー-1']);
  });
});

import { describe, expect, it } from 'vitest';
import { idHash } from '../../src/core/id-hash.js';
import { buildIdTable, IdTable, type IdTableArrays, slotCount } from '../../src/core/id-table.js';

/** `count` ids of the form `${prefix}${n}` whose hash starts probing at `slot` of a table of `slots`. */
function idsStartingAt(prefix: string, slot: number, slots: number, count: number): string[] {
  const out: string[] = [];
  for (let n = 0; out.length < count; n++) {
    const id = `${prefix}${n}`;
    if ((idHash(id) & (slots - 1)) === slot) out.push(id);
  }
  return out;
}

/** The arrays copied into one SharedArrayBuffer, as a server holds them. */
function inSharedMemory(arrays: IdTableArrays): IdTableArrays {
  const sab = new SharedArrayBuffer(
    arrays.offsets.byteLength + arrays.slots.byteLength + arrays.bytes.byteLength,
  );
  const offsets = new Int32Array(sab, 0, arrays.offsets.length);
  const slots = new Int32Array(sab, offsets.byteLength, arrays.slots.length);
  const bytes = new Uint8Array(sab, offsets.byteLength + slots.byteLength, arrays.bytes.length);
  offsets.set(arrays.offsets);
  slots.set(arrays.slots);
  bytes.set(arrays.bytes);
  return { bytes, offsets, slots };
}

describe('Function: slotCount', () => {
  it('is the smallest power of two at least twice the ids, and at least 2', () => {
    // Act
    const counts = [0, 1, 2, 3, 4, 5, 8, 9, 1000].map(slotCount);

    // Assess
    expect(counts).toEqual([2, 2, 4, 8, 8, 16, 16, 32, 2048]);
  });
});

describe('Function: buildIdTable', () => {
  it('lays out bytes, offsets and slots (known answer: v001..v003 start at slots 5, 7, 4 of 8)', () => {
    // Act
    const table = buildIdTable(['v001', 'v002', 'v003']);

    // Assess
    expect({
      bytes: new TextDecoder().decode(table.bytes),
      offsets: [...table.offsets],
      slots: [...table.slots],
    }).toEqual({ bytes: 'v001v002v003', offsets: [0, 4, 8, 12], slots: [0, 0, 0, 0, 3, 1, 0, 2] });
  });

  it('stores UTF-8 bytes and probes past the end of the table to slot 0 (known answer)', () => {
    // Prepare: 'é' and 'u1' both hash to slot 3 of 4
    const ids = ['é', 'u1'];

    // Act
    const table = buildIdTable(ids);

    // Assess
    expect({
      start: ids.map((id) => idHash(id) & 3),
      bytes: [...table.bytes],
      offsets: [...table.offsets],
      slots: [...table.slots],
    }).toEqual({ start: [3, 3], bytes: [0xc3, 0xa9, 0x75, 0x31], offsets: [0, 2, 4], slots: [2, 0, 0, 1] });
  });

  it('refuses a repeated id, ASCII or not, naming it', () => {
    // Act
    const failures = [
      ['a', 'b', 'a'],
      ['ユーザー', 'x', 'ユーザー'],
    ].map((ids) => {
      try {
        buildIdTable(ids);
        return 'accepted';
      } catch (error) {
        return error instanceof RangeError ? error.message : 'wrong error';
      }
    });

    // Assess
    expect(failures).toEqual(['id "a" repeats', 'id "ユーザー" repeats']);
  });

  it('refuses a repeat among ids that share a probe chain', () => {
    // Prepare: four ids starting at the same slot of 16, then the third again
    const chain = idsStartingAt('c', 9, 16, 4);

    // Act
    const run = (): unknown => buildIdTable([...chain, 'other', chain[2]!, 'more', 'x', 'y']);

    // Assess
    expect(run).toThrow(new RangeError(`id ${JSON.stringify(chain[2])} repeats`));
  });
});

describe('Class: IdTable', () => {
  it('finds every id at its index and gives back each id, for a thousand mixed ids', () => {
    // Prepare
    const ids = Array.from({ length: 1000 }, (_, i) =>
      i % 3 === 0 ? `ユーザー-${i}` : i % 7 === 0 ? `😀${i}` : `user-${i}`,
    );
    const table = new IdTable(buildIdTable(ids));

    // Act
    const indexes = ids.map((id) => table.indexOf(id));
    const back = ids.map((_, i) => table.idAt(i));

    // Assess
    expect({ size: table.size, indexes, back }).toEqual({
      size: 1000,
      indexes: ids.map((_, i) => i),
      back: ids,
    });
  });

  it('returns -1 for absent ids: prefixes, extensions, other case, empty, and ids on a full probe chain', () => {
    // Prepare: the chain starts at the last slot, so probes wrap around
    const chain = idsStartingAt('w', 15, 16, 5);
    const present = [...chain, 'abc', 'é'];
    const table = new IdTable(buildIdTable(present));
    const chainMates = idsStartingAt('w', 15, 16, 8).slice(5);

    // Act
    const absent = ['ab', 'abcd', 'ABC', '', 'e', 'É', ...chainMates].map((id) => table.indexOf(id));
    const found = present.map((id) => table.indexOf(id));

    // Assess
    expect({ absent, found }).toEqual({ absent: absent.map(() => -1), found: present.map((_, i) => i) });
  });

  it('answers nothing from an empty table', () => {
    // Prepare
    const table = new IdTable(buildIdTable([]));

    // Act
    const answers = [table.size, table.indexOf(''), table.indexOf('u001')];

    // Assess
    expect(answers).toEqual([0, -1, -1]);
  });

  it('works over arrays in shared memory, as the request threads read them', () => {
    // Prepare
    const ids = ['u001', 'ユーザー', 'x'.repeat(80), '😀'];
    const table = new IdTable(inSharedMemory(buildIdTable(ids)));

    // Act
    const answers = { indexes: ids.map((id) => table.indexOf(id)), back: ids.map((_, i) => table.idAt(i)) };

    // Assess
    expect(answers).toEqual({ indexes: [0, 1, 2, 3], back: ids });
  });
});

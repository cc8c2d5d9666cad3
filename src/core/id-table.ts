/**
 * A read-only id -> index table over flat typed arrays (UTF-8 bytes, offsets, open-addressing slots),
 * so it can live in shared memory: every request thread of a container looks ids up in the one copy,
 * and the artifact stores it ready to use (no Map of a million strings built per thread at start).
 * @module
 */
import { bytesEqualId, decodeId, idHash } from './id-hash.js';

/** The arrays behind an {@link IdTable}; sections of the artifact. */
export interface IdTableArrays {
  /** every id's UTF-8 bytes, concatenated in index order */
  bytes: Uint8Array;
  /** id i is `bytes[offsets[i]..offsets[i+1])`; length n + 1 */
  offsets: Int32Array;
  /** open addressing, linear probing from `idHash(id) & (slots.length - 1)`; index + 1, 0 = empty */
  slots: Int32Array;
}

const textEncoder = new TextEncoder();

/** Slot count for n ids: a power of two at least 2n (load factor <= 0.5 keeps probes short). */
export function slotCount(n: number): number {
  let size = 2;
  while (size < n * 2) size *= 2;
  return size;
}

/**
 * Lays out ids as {@link IdTableArrays}.
 * @throws RangeError when an id repeats (callers name the section in their own error)
 */
export function buildIdTable(ids: readonly string[]): IdTableArrays {
  const encoded = ids.map((id) => textEncoder.encode(id));
  const offsets = new Int32Array(ids.length + 1);
  for (let i = 0; i < encoded.length; i++) offsets[i + 1] = (offsets[i] as number) + encoded[i]!.length;
  const bytes = new Uint8Array(offsets[ids.length] as number);
  encoded.forEach((e, i) => {
    bytes.set(e, offsets[i] as number);
  });
  const slots = new Int32Array(slotCount(ids.length));
  const mask = slots.length - 1;
  ids.forEach((id, index) => {
    let slot = idHash(id) & mask;
    while (slots[slot] !== 0) {
      const other = (slots[slot] as number) - 1;
      if (ids[other] === id) throw new RangeError(`id ${JSON.stringify(id)} repeats`);
      slot = (slot + 1) & mask;
    }
    slots[slot] = index + 1;
  });
  return { bytes, offsets, slots };
}

/** Lookups over {@link IdTableArrays}. */
export class IdTable {
  readonly size: number;
  private readonly mask: number;

  constructor(readonly arrays: IdTableArrays) {
    this.size = arrays.offsets.length - 1;
    this.mask = arrays.slots.length - 1;
  }

  /** The index of `id`, or -1. */
  indexOf(id: string): number {
    const { bytes, offsets, slots } = this.arrays;
    let slot = idHash(id) & this.mask;
    for (;;) {
      const entry = slots[slot] as number;
      if (entry === 0) return -1;
      const index = entry - 1;
      if (bytesEqualId(bytes, offsets[index] as number, offsets[index + 1] as number, id)) return index;
      slot = (slot + 1) & this.mask;
    }
  }

  /** The id at `index`. */
  idAt(index: number): string {
    const { bytes, offsets } = this.arrays;
    return decodeId(bytes, offsets[index] as number, offsets[index + 1] as number);
  }
}

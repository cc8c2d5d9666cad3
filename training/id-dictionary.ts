/**
 * Interning ids while events stream in: each distinct id is kept once, as one string, and every event
 * refers to it by index. The table is open addressing over typed arrays (16 to 32 bytes per id beside the
 * string itself, and no limit on the count; a `Map` holds 2^24 entries at most and several words per
 * entry), each slot holding the id's hash beside its index so a probe touches one cache line. Integer ids from typed columns (Parquet INT32/INT64) are looked up by value, so no string is
 * made per event; they share indices with their decimal text, the id a CSV reader would see.
 * @module
 */
import { idHash } from '../src/core/id-hash.js';
import { fmix32 } from '../src/core/random.js';

const INITIAL_SLOTS = 1024;

function mixNumber(n: number): number {
  const lo = n | 0;
  const hi = Math.floor(n / 4294967296) | 0;
  return fmix32(lo ^ Math.imul(hi, 0x9e3779b1));
}

/** Integer id -> index, open addressing over one Float64Array of (key, index + 1) pairs: one cache line per probe. */
class NumberIndex {
  private table = new Float64Array(INITIAL_SLOTS * 2);
  private count = 0;

  get(n: number): number {
    const table = this.table;
    const mask = (table.length >> 1) - 1;
    for (let slot = mixNumber(n) & mask; ; slot = (slot + 1) & mask) {
      const v = table[2 * slot + 1] as number;
      if (v === 0) return -1;
      if (table[2 * slot] === n) return v - 1;
    }
  }

  set(n: number, index: number): void {
    if ((this.count + 1) * 4 > this.table.length) this.grow();
    this.insert(n, index);
    this.count++;
  }

  bytes(): number {
    return this.table.byteLength;
  }

  private insert(n: number, index: number): void {
    const table = this.table;
    const mask = (table.length >> 1) - 1;
    let slot = mixNumber(n) & mask;
    while (table[2 * slot + 1] !== 0) slot = (slot + 1) & mask;
    table[2 * slot] = n;
    table[2 * slot + 1] = index + 1;
  }

  private grow(): void {
    const old = this.table;
    this.table = new Float64Array(old.length * 2);
    for (let s = 0; s < old.length; s += 2) {
      if (old[s + 1] !== 0) this.insert(old[s] as number, (old[s + 1] as number) - 1);
    }
  }
}

/**
 * Distinct ids in first-seen order, each with its index.
 * @example
 * const users = new IdDictionary();
 * users.index('u1'); // 0
 * users.indexOfInteger(7); // 1, the same index as users.index('7')
 * users.ids; // ['u1', '7']
 */
export class IdDictionary {
  /** index -> id */
  readonly ids: string[] = [];
  /** (hash, index + 1) pairs; index + 1 = 0 is an empty slot; load factor at most 1/2 */
  private slots = new Int32Array(INITIAL_SLOTS * 2);
  private numbers: NumberIndex | undefined;

  get size(): number {
    return this.ids.length;
  }

  /** The index of `id`, adding it when new. */
  index(id: string): number {
    const hash = idHash(id) | 0;
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    let slot = hash & mask;
    for (;;) {
      const v = slots[2 * slot + 1] as number;
      if (v === 0) break;
      if (slots[2 * slot] === hash && this.ids[v - 1] === id) return v - 1;
      slot = (slot + 1) & mask;
    }
    const index = this.ids.length;
    if ((index + 1) * 4 > slots.length) {
      this.grow();
      return this.add(id, hash);
    }
    this.ids.push(id);
    slots[2 * slot] = hash;
    slots[2 * slot + 1] = index + 1;
    return index;
  }

  /**
   * The index of an integer id (a safe integer), the same as `index(String(n))`, without making the
   * string again once the id is known.
   */
  indexOfInteger(n: number): number {
    this.numbers ??= new NumberIndex();
    const known = this.numbers.get(n);
    if (known >= 0) return known;
    const index = this.index(String(n));
    this.numbers.set(n, index);
    return index;
  }

  /** Bytes held by the table's typed arrays (the id strings themselves not counted). */
  tableBytes(): number {
    return this.slots.byteLength + (this.numbers?.bytes() ?? 0) + this.ids.length * 8;
  }

  private add(id: string, hash: number): number {
    const index = this.ids.length;
    this.ids.push(id);
    this.place(hash, index);
    return index;
  }

  private place(hash: number, index: number): void {
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    let slot = hash & mask;
    while (slots[2 * slot + 1] !== 0) slot = (slot + 1) & mask;
    slots[2 * slot] = hash;
    slots[2 * slot + 1] = index + 1;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2);
    for (let s = 0; s < old.length; s += 2) {
      const v = old[s + 1] as number;
      if (v !== 0) this.place(old[s] as number, v - 1);
    }
  }
}

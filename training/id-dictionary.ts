/**
 * Interning ids while events stream in: each distinct id is kept once, as one string, and every event
 * refers to it by index. The table is open addressing over typed arrays (about 12 bytes per id beside the
 * string itself, and no limit on the count; a `Map` holds 2^24 entries at most and several words per
 * entry). Integer ids from typed columns (Parquet INT32/INT64) are looked up by value, so no string is
 * made per event; they share indices with their decimal text, the id a CSV reader would see.
 * @module
 */
import { idHash } from '../src/core/id-hash.js';

const INITIAL_SLOTS = 1024;

function mixNumber(n: number): number {
  const lo = n | 0;
  const hi = Math.floor(n / 4294967296) | 0;
  let x = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** Integer id -> index, open addressing over a Float64Array of keys. */
class NumberIndex {
  private keys = new Float64Array(INITIAL_SLOTS);
  /** index + 1; 0 = empty */
  private values = new Int32Array(INITIAL_SLOTS);
  private count = 0;

  get(n: number): number {
    const mask = this.keys.length - 1;
    for (let slot = mixNumber(n) & mask; ; slot = (slot + 1) & mask) {
      const v = this.values[slot] as number;
      if (v === 0) return -1;
      if (this.keys[slot] === n) return v - 1;
    }
  }

  set(n: number, index: number): void {
    if ((this.count + 1) * 2 > this.keys.length) this.grow();
    this.insert(n, index);
    this.count++;
  }

  bytes(): number {
    return this.keys.byteLength + this.values.byteLength;
  }

  private insert(n: number, index: number): void {
    const mask = this.keys.length - 1;
    let slot = mixNumber(n) & mask;
    while (this.values[slot] !== 0) slot = (slot + 1) & mask;
    this.keys[slot] = n;
    this.values[slot] = index + 1;
  }

  private grow(): void {
    const { keys, values } = this;
    this.keys = new Float64Array(keys.length * 2);
    this.values = new Int32Array(values.length * 2);
    for (let s = 0; s < keys.length; s++) {
      if (values[s] !== 0) this.insert(keys[s] as number, (values[s] as number) - 1);
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
  private hashes = new Int32Array(INITIAL_SLOTS / 2);
  /** index + 1; 0 = empty; load factor at most 1/2 */
  private slots = new Int32Array(INITIAL_SLOTS);
  private numbers: NumberIndex | undefined;

  get size(): number {
    return this.ids.length;
  }

  /** The index of `id`, adding it when new. */
  index(id: string): number {
    const hash = idHash(id) | 0;
    const mask = this.slots.length - 1;
    let slot = hash & mask;
    for (;;) {
      const v = this.slots[slot] as number;
      if (v === 0) break;
      if (this.hashes[v - 1] === hash && this.ids[v - 1] === id) return v - 1;
      slot = (slot + 1) & mask;
    }
    const index = this.ids.length;
    if ((index + 1) * 2 > this.slots.length) {
      this.grow();
      return this.add(id, hash);
    }
    this.ids.push(id);
    this.hashes[index] = hash;
    this.slots[slot] = index + 1;
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
    return (
      this.hashes.byteLength + this.slots.byteLength + (this.numbers?.bytes() ?? 0) + this.ids.length * 8
    );
  }

  private add(id: string, hash: number): number {
    const mask = this.slots.length - 1;
    let slot = hash & mask;
    while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
    const index = this.ids.length;
    this.ids.push(id);
    this.hashes[index] = hash;
    this.slots[slot] = index + 1;
    return index;
  }

  private grow(): void {
    const size = this.slots.length * 2;
    const hashes = new Int32Array(size / 2);
    hashes.set(this.hashes);
    this.hashes = hashes;
    this.slots = new Int32Array(size);
    const mask = size - 1;
    for (let i = 0; i < this.ids.length; i++) {
      let slot = (hashes[i] as number) & mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
      this.slots[slot] = i + 1;
    }
  }
}

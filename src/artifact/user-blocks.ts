/**
 * The user side of format 2: users ordered by id hash, packed into blocks of about 16 KiB that are
 * read one at a time (a ranged read of `users.bin`), and a directory (first hash, byte offset and
 * digest of every block) that lives in `items.bin`. A lookup hashes the id, binary-searches the
 * directory, reads one block and scans its hashes, so a server holds no per-user index at all.
 *
 * Block layout (little-endian, 4-byte aligned, padded to 8 bytes):
 * ```
 * u32 n, u32 historyTotal, u32 idBytes, u32 factors
 * u32 hashes[n]            ascending
 * f32 factors[n * factors]
 * i32 historyPtr[n + 1]    user i's history is historyItems[historyPtr[i] .. historyPtr[i+1])
 * i32 historyItems[historyTotal]   video rows, ascending per user
 * f32 historyValues[historyTotal]  summed interaction values
 * u32 idOffsets[n + 1]
 * u8  ids[idBytes]         UTF-8
 * ```
 * @module
 */
import { createHash } from 'node:crypto';
import { bytesEqualId, decodeId } from '../core/id-hash.js';

/** Blocks close once they reach this size (a block never splits users of equal hash). */
export const USER_BLOCK_TARGET_BYTES = 16 * 1024;
const HEADER_BYTES = 16;

const textEncoder = new TextEncoder();

/** One user as the writer takes it. */
export interface UserRecord {
  id: string;
  hash: number;
  factors: Float32Array;
  /** video rows, ascending */
  items: Int32Array;
  values: Float32Array;
}

/** Where the blocks are and how to check them: sections of `items.bin`. */
export interface UserDirectory {
  /** first hash of each block, ascending */
  hashes: Uint32Array;
  /** byte offset of each block in users.bin, and the file's length last */
  offsets: Float64Array;
  /** first 8 bytes of each block's sha256, as two u32 */
  digests: Uint32Array;
}

/** The 8-byte digest the directory keeps per block. */
export function blockDigest(block: Uint8Array): [number, number] {
  const sha = createHash('sha256').update(block).digest();
  return [sha.readUInt32LE(0), sha.readUInt32LE(4)];
}

const pad8 = (n: number): number => Math.ceil(n / 8) * 8;

function blockBytes(users: readonly UserRecord[], factors: number): Uint8Array {
  const n = users.length;
  let history = 0;
  const ids = users.map((u) => textEncoder.encode(u.id));
  let idBytes = 0;
  for (const u of users) history += u.items.length;
  for (const id of ids) idBytes += id.length;
  const ints = n + n * factors + (n + 1) + history * 2 + (n + 1);
  const bytes = new Uint8Array(pad8(HEADER_BYTES + ints * 4 + idBytes));
  const view = new DataView(bytes.buffer);
  [n, history, idBytes, factors].forEach((v, i) => {
    view.setUint32(i * 4, v, true);
  });
  let at = HEADER_BYTES;
  const u32 = new Uint32Array(bytes.buffer, at, n);
  users.forEach((u, i) => {
    u32[i] = u.hash;
  });
  at += n * 4;
  const f32 = new Float32Array(bytes.buffer, at, n * factors);
  users.forEach((u, i) => {
    f32.set(u.factors.subarray(0, factors), i * factors);
  });
  at += n * factors * 4;
  const ptr = new Int32Array(bytes.buffer, at, n + 1);
  users.forEach((u, i) => {
    ptr[i + 1] = (ptr[i] as number) + u.items.length;
  });
  at += (n + 1) * 4;
  const items = new Int32Array(bytes.buffer, at, history);
  const values = new Float32Array(bytes.buffer, at + history * 4, history);
  users.forEach((u, i) => {
    items.set(u.items, ptr[i] as number);
    values.set(u.values, ptr[i] as number);
  });
  at += history * 8;
  const idOffsets = new Uint32Array(bytes.buffer, at, n + 1);
  at += (n + 1) * 4;
  ids.forEach((id, i) => {
    idOffsets[i + 1] = (idOffsets[i] as number) + id.length;
    bytes.set(id, at + (idOffsets[i] as number));
  });
  return bytes;
}

/**
 * Packs users, given in (hash, id) order, into blocks, handing each finished block to `sink`;
 * `finish()` returns the directory. Streams: a writer for ten million users holds one block.
 * @example
 * const chunks: Uint8Array[] = [];
 * const writer = new UserBlockWriter(64, (block) => chunks.push(block));
 * for (const user of usersInHashOrder) writer.add(user);
 * const { directory, bytes } = writer.finish();
 */
export class UserBlockWriter {
  private pending: UserRecord[] = [];
  private pendingBytes = HEADER_BYTES;
  private readonly firstHashes: number[] = [];
  private readonly offsets: number[] = [0];
  private readonly digests: number[] = [];
  private readonly whole = createHash('sha256');
  private written = 0;
  private users = 0;
  private lastHash = -1;
  private lastId = '';

  constructor(
    private readonly factors: number,
    private readonly sink: (block: Uint8Array) => void,
    private readonly targetBytes = USER_BLOCK_TARGET_BYTES,
  ) {}

  add(user: UserRecord): void {
    if (user.hash < this.lastHash || (user.hash === this.lastHash && user.id <= this.lastId)) {
      throw new RangeError(`users must come in (hash, id) order without repeats: ${JSON.stringify(user.id)}`);
    }
    const size = 4 + this.factors * 4 + 4 + user.items.length * 8 + 4 + user.id.length * 3;
    if (
      this.pending.length > 0 &&
      this.pendingBytes + size > this.targetBytes &&
      user.hash !== this.lastHash
    ) {
      this.flush();
    }
    this.pending.push(user);
    this.pendingBytes += size;
    this.lastHash = user.hash;
    this.lastId = user.id;
    this.users++;
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const block = blockBytes(this.pending, this.factors);
    this.firstHashes.push(this.pending[0]!.hash);
    this.digests.push(...blockDigest(block));
    this.whole.update(block);
    this.written += block.byteLength;
    this.offsets.push(this.written);
    this.sink(block);
    this.pending = [];
    this.pendingBytes = HEADER_BYTES;
  }

  /** Writes the last block and returns the directory, the file's size and sha256. */
  finish(): { directory: UserDirectory; bytes: number; sha256: string; users: number; blocks: number } {
    this.flush();
    return {
      directory: {
        hashes: Uint32Array.from(this.firstHashes),
        offsets: Float64Array.from(this.offsets),
        digests: Uint32Array.from(this.digests),
      },
      bytes: this.written,
      sha256: this.whole.digest('hex'),
      users: this.users,
      blocks: this.firstHashes.length,
    };
  }
}

/** The block that holds `hash` if any user has it, or -1. */
export function blockOf(directory: UserDirectory, hash: number): number {
  const { hashes } = directory;
  let lo = 0;
  let hi = hashes.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((hashes[mid] as number) <= hash) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** One user read from a block: views onto the block's bytes. */
export interface UserEntry {
  factors: Float32Array;
  /** watched video rows, ascending */
  items: Int32Array;
  values: Float32Array;
}

/** A parsed block: header fields and the offsets of its arrays. */
export class UserBlock {
  readonly n: number;
  private readonly factors: number;
  private readonly hashesAt: number;
  private readonly factorsAt: number;
  private readonly ptr: Int32Array;
  private readonly itemsAt: number;
  private readonly valuesAt: number;
  private readonly idOffsets: Uint32Array;
  private readonly idsAt: number;

  /** @throws RangeError when the header does not fit the bytes */
  constructor(readonly bytes: Uint8Array) {
    if (bytes.byteOffset % 4 !== 0 || bytes.byteLength < HEADER_BYTES)
      throw new RangeError('user block is malformed');
    const head = new Uint32Array(bytes.buffer, bytes.byteOffset, 4);
    const [n, history, idBytes, factors] = [head[0]!, head[1]!, head[2]!, head[3]!];
    this.n = n;
    this.factors = factors;
    this.hashesAt = bytes.byteOffset + HEADER_BYTES;
    this.factorsAt = this.hashesAt + n * 4;
    const ptrAt = this.factorsAt + n * factors * 4;
    this.itemsAt = ptrAt + (n + 1) * 4;
    this.valuesAt = this.itemsAt + history * 4;
    const idOffsetsAt = this.valuesAt + history * 4;
    this.idsAt = idOffsetsAt + (n + 1) * 4;
    if (this.idsAt + idBytes > bytes.byteOffset + bytes.byteLength)
      throw new RangeError('user block is malformed');
    this.ptr = new Int32Array(bytes.buffer, ptrAt, n + 1);
    this.idOffsets = new Uint32Array(bytes.buffer, idOffsetsAt, n + 1);
  }

  /** The position of the user in this block, or -1. */
  find(id: string, hash: number): number {
    const hashes = new Uint32Array(this.bytes.buffer, this.hashesAt, this.n);
    const all = new Uint8Array(this.bytes.buffer);
    for (let i = 0; i < this.n; i++) {
      const h = hashes[i] as number;
      if (h < hash) continue;
      if (h > hash) return -1;
      const start = this.idsAt + (this.idOffsets[i] as number);
      if (bytesEqualId(all, start, this.idsAt + (this.idOffsets[i + 1] as number), id)) return i;
    }
    return -1;
  }

  /** Every user's factors in this block, n x factors row-major (a view). */
  factorMatrix(): Float32Array {
    return new Float32Array(this.bytes.buffer, this.factorsAt, this.n * this.factors);
  }

  /** The id hash of user `i`. */
  hashAt(i: number): number {
    return new Uint32Array(this.bytes.buffer, this.hashesAt + i * 4, 1)[0] as number;
  }

  entry(i: number): UserEntry {
    const buffer = this.bytes.buffer;
    const start = this.ptr[i] as number;
    const count = (this.ptr[i + 1] as number) - start;
    return {
      factors: new Float32Array(buffer, this.factorsAt + i * this.factors * 4, this.factors),
      items: new Int32Array(buffer, this.itemsAt + start * 4, count),
      values: new Float32Array(buffer, this.valuesAt + start * 4, count),
    };
  }

  idAt(i: number): string {
    const all = new Uint8Array(this.bytes.buffer);
    return decodeId(
      all,
      this.idsAt + (this.idOffsets[i] as number),
      this.idsAt + (this.idOffsets[i + 1] as number),
    );
  }
}

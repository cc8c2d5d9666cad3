/**
 * A model's user side: the user blocks of `users.bin`, found through the directory in `items.bin`.
 * Either the whole file is in memory (small models: loaded and verified at start, shared by every
 * thread), or blocks are read on demand through a {@link BlockReader} (a ranged read of the file or
 * of S3), checked against their digest, and kept in a least-recently-used cache of bounded size.
 * @module
 */

import { blockDigest, blockOf, UserBlock, type UserDirectory, type UserEntry } from '../artifact/index.js';
import { ArtifactInvalidError } from '../core/errors.js';
import { idHash } from '../core/id-hash.js';

/** Reads one block's bytes (`start`..`end` of users.bin), at any offset of their buffer. */
export interface BlockReader {
  read(start: number, end: number): Promise<Uint8Array>;
}

/** Finds users by id. Memory-backed sides answer synchronously, read-backed ones with a promise. */
export interface UserSide {
  readonly kind: 'memory' | 'lazy';
  lookup(userId: string): UserEntry | undefined | Promise<UserEntry | undefined>;
  /** blocks held in memory now (lazy: the cache), for metrics */
  cachedBlocks(): number;
}

function entryIn(block: UserBlock, userId: string, hash: number): UserEntry | undefined {
  const i = block.find(userId, hash);
  return i < 0 ? undefined : block.entry(i);
}

/**
 * The user side over the whole `users.bin` in memory (verified by its sha256 when it was loaded).
 * @example
 * const users = memoryUserSide(items.users, usersBytes);
 * users.lookup('u001')?.factors;
 */
export function memoryUserSide(directory: UserDirectory, bytes: Uint8Array): UserSide {
  const blocks = new Map<number, UserBlock>();
  return {
    kind: 'memory',
    lookup(userId) {
      const hash = idHash(userId);
      const b = blockOf(directory, hash);
      if (b < 0) return undefined;
      let block = blocks.get(b);
      if (!block) {
        const start = directory.offsets[b] as number;
        block = new UserBlock(bytes.subarray(start, directory.offsets[b + 1] as number));
        blocks.set(b, block);
      }
      return entryIn(block, userId, hash);
    },
    cachedBlocks: () => blocks.size,
  };
}

/** Options of {@link lazyUserSide}. */
export interface LazyUserSideOptions {
  /** most bytes of blocks kept (least recently used go first); default 64 MiB */
  cacheBytes?: number;
  /** names the file in errors */
  where?: string;
}

/**
 * The user side read on demand: one ranged read per block not in the cache, concurrent requests for
 * the same block sharing it, each block checked against its directory digest before use.
 * @throws ArtifactInvalidError (from lookup) when a block's digest or layout is wrong
 */
export function lazyUserSide(
  directory: UserDirectory,
  reader: BlockReader,
  options: LazyUserSideOptions = {},
): UserSide {
  const budget = options.cacheBytes ?? 64 * 1024 * 1024;
  const where = options.where ?? 'users.bin';
  const cache = new Map<number, UserBlock>();
  const pending = new Map<number, Promise<UserBlock>>();
  let held = 0;

  const remember = (b: number, block: UserBlock): void => {
    cache.set(b, block);
    held += block.bytes.byteLength;
    for (const [old, value] of cache) {
      if (held <= budget || cache.size <= 1) break;
      cache.delete(old);
      held -= value.bytes.byteLength;
    }
  };

  const fetchBlock = async (b: number): Promise<UserBlock> => {
    const start = directory.offsets[b] as number;
    const end = directory.offsets[b + 1] as number;
    const bytes = await reader.read(start, end);
    const [d0, d1] = blockDigest(bytes);
    if (
      bytes.byteLength !== end - start ||
      d0 !== directory.digests[b * 2] ||
      d1 !== directory.digests[b * 2 + 1]
    ) {
      throw new ArtifactInvalidError(
        `${where} block ${b} (bytes ${start}..${end}) does not match its digest`,
      );
    }
    try {
      // Blocks are read through typed-array views, which need 4-byte alignment; a reader may hand back
      // a view at any offset (Node's pooled Buffers), so such bytes are copied once.
      return new UserBlock(bytes.byteOffset % 4 === 0 ? bytes : bytes.slice());
    } catch (error) {
      throw new ArtifactInvalidError(`${where} block ${b} is malformed`, { cause: error });
    }
  };

  const blockAt = (b: number): UserBlock | Promise<UserBlock> => {
    const hit = cache.get(b);
    if (hit) {
      // Re-insert: Map order is the recency order.
      cache.delete(b);
      cache.set(b, hit);
      return hit;
    }
    let inFlight = pending.get(b);
    if (!inFlight) {
      inFlight = fetchBlock(b).then(
        (block) => {
          pending.delete(b);
          remember(b, block);
          return block;
        },
        (error: unknown) => {
          pending.delete(b);
          throw error;
        },
      );
      pending.set(b, inFlight);
    }
    return inFlight;
  };

  return {
    kind: 'lazy',
    lookup(userId) {
      const hash = idHash(userId);
      const b = blockOf(directory, hash);
      if (b < 0) return undefined;
      const block = blockAt(b);
      if (block instanceof UserBlock) return entryIn(block, userId, hash);
      return block.then((loaded) => entryIn(loaded, userId, hash));
    },
    cachedBlocks: () => cache.size,
  };
}

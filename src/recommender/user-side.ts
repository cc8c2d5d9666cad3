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
  /** how many hash-ordered blocks there are */
  readonly blocks: number;
  /** hash-ordered block `b` (0 <= b < blocks), to walk every user */
  block(b: number): UserBlock | Promise<UserBlock>;
  /** how many lists the similar-users index has (0: none) */
  readonly lists: number;
  /** list `l` of the similar-users index (unit factors), or undefined for an empty list */
  list(l: number): UserBlock | undefined | Promise<UserBlock | undefined>;
  /** blocks held in memory now (lazy: the cache), for metrics */
  cachedBlocks(): number;
}

/** The similar-users lists in users.bin: byte offsets (lists + 1) and digests, from `items.bin`. */
export interface ListDirectory {
  offsets: Float64Array;
  digests: Uint32Array;
}

function entryIn(block: UserBlock, userId: string, hash: number): UserEntry | undefined {
  const i = block.find(userId, hash);
  return i < 0 ? undefined : block.entry(i);
}

/** Block `b` of a directory: its byte range and digest. */
interface Span {
  start: number;
  end: number;
  d0: number;
  d1: number;
  label: string;
}

function spanOf(offsets: Float64Array, digests: Uint32Array, b: number, label: string): Span {
  return {
    start: offsets[b] as number,
    end: offsets[b + 1] as number,
    d0: digests[b * 2] as number,
    d1: digests[b * 2 + 1] as number,
    label: `${label} ${b}`,
  };
}

/**
 * The user side over the whole `users.bin` in memory (verified by its sha256 when it was loaded).
 * @example
 * const users = memoryUserSide(items.users, usersBytes);
 * users.lookup('u001')?.factors;
 */
export function memoryUserSide(directory: UserDirectory, bytes: Uint8Array, lists?: ListDirectory): UserSide {
  const blocks = new Map<number, UserBlock>();
  const at = (start: number, end: number): UserBlock => {
    let block = blocks.get(start);
    if (!block) {
      block = new UserBlock(bytes.subarray(start, end));
      blocks.set(start, block);
    }
    return block;
  };
  const blockAt = (b: number): UserBlock =>
    at(directory.offsets[b] as number, directory.offsets[b + 1] as number);
  return {
    kind: 'memory',
    lookup(userId) {
      const hash = idHash(userId);
      const b = blockOf(directory, hash);
      return b < 0 ? undefined : entryIn(blockAt(b), userId, hash);
    },
    blocks: directory.hashes.length,
    block: blockAt,
    lists: lists ? lists.offsets.length - 1 : 0,
    list(l) {
      const start = lists?.offsets[l] as number;
      const end = lists?.offsets[l + 1] as number;
      return end > start ? at(start, end) : undefined;
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
  /** the similar-users lists, when the model has the index */
  lists?: ListDirectory | undefined;
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
  const cache = blockCache(reader, options.cacheBytes ?? 64 * 1024 * 1024, options.where ?? 'users.bin');
  const { lists } = options;
  const blockAt = (b: number): UserBlock | Promise<UserBlock> =>
    cache.get(spanOf(directory.offsets, directory.digests, b, 'block'));
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
    blocks: directory.hashes.length,
    block: blockAt,
    lists: lists ? lists.offsets.length - 1 : 0,
    list(l) {
      if (!lists) return undefined;
      const span = spanOf(lists.offsets, lists.digests, l, 'similar-users list');
      return span.end > span.start ? cache.get(span) : undefined;
    },
    cachedBlocks: () => cache.size(),
  };
}

/**
 * Blocks read on demand, keyed by their start byte: one read per block not cached, concurrent requests
 * for a block sharing its read, each checked against its digest before use, least recently used dropped
 * past `budget` bytes.
 */
function blockCache(reader: BlockReader, budget: number, where: string) {
  const cache = new Map<number, UserBlock>();
  const pending = new Map<number, Promise<UserBlock>>();
  let held = 0;

  const remember = (key: number, block: UserBlock): void => {
    cache.set(key, block);
    held += block.bytes.byteLength;
    for (const [old, value] of cache) {
      if (held <= budget || cache.size <= 1) break;
      cache.delete(old);
      held -= value.bytes.byteLength;
    }
  };

  const fetchBlock = async ({ start, end, d0, d1, label }: Span): Promise<UserBlock> => {
    const bytes = await reader.read(start, end);
    const [a0, a1] = blockDigest(bytes);
    if (bytes.byteLength !== end - start || a0 !== d0 || a1 !== d1) {
      throw new ArtifactInvalidError(`${where} ${label} (bytes ${start}..${end}) does not match its digest`);
    }
    try {
      // Blocks are read through typed-array views, which need 4-byte alignment; a reader may hand back
      // a view at any offset (Node's pooled Buffers), so such bytes are copied once.
      return new UserBlock(bytes.byteOffset % 4 === 0 ? bytes : bytes.slice());
    } catch (error) {
      throw new ArtifactInvalidError(`${where} ${label} is malformed`, { cause: error });
    }
  };

  return {
    size: (): number => cache.size,
    get(span: Span): UserBlock | Promise<UserBlock> {
      const hit = cache.get(span.start);
      if (hit) {
        // Re-insert: Map order is the recency order.
        cache.delete(span.start);
        cache.set(span.start, hit);
        return hit;
      }
      let inFlight = pending.get(span.start);
      if (!inFlight) {
        inFlight = fetchBlock(span).then(
          (block) => {
            pending.delete(span.start);
            remember(span.start, block);
            return block;
          },
          (error: unknown) => {
            pending.delete(span.start);
            throw error;
          },
        );
        pending.set(span.start, inFlight);
      }
      return inFlight;
    },
  };
}

import { describe, expect, it } from 'vitest';
import {
  blockOf,
  USERS_FILE,
  type UserDirectory,
  type UserEntry,
  viewItems,
} from '../../src/artifact/index.js';
import { ArtifactInvalidError } from '../../src/core/errors.js';
import { idHash } from '../../src/core/id-hash.js';
import { type BlockReader, lazyUserSide, memoryUserSide } from '../../src/recommender/user-side.js';
import { handleFromArtifact } from '../../src/serving/index.js';
import { clusteredModel } from '../helpers/clustered-model.js';
import { artifactOf } from '../helpers/fixture-model.js';

// 1000 users x 8 factors with 10 watched videos each: several user blocks of about 16 KiB.
const model = clusteredModel({ items: 200, users: 1000, factors: 8, groups: 5, seed: 3 });
const handle = handleFromArtifact(artifactOf(model));
const directory: UserDirectory = viewItems(handle.manifest, handle.items).users;
const usersBytes = handle.users.kind === 'memory' ? handle.users.bytes : new Uint8Array(0);
const blocks = directory.hashes.length;
const blockOfUser = (id: string): number => blockOf(directory, idHash(id));
const sizeOf = (b: number): number => (directory.offsets[b + 1] as number) - (directory.offsets[b] as number);
/** Some user ids in block b. */
const usersIn = (b: number): string[] => model.userIds.filter((id) => blockOfUser(id) === b);

/** What the model says user u is: factors, watched rows (the exact index keeps training order), values. */
function expectedEntry(u: number): { factors: number[]; items: number[]; values: number[] } {
  const { indptr, indices, data } = model.seen;
  const from = indptr[u] as number;
  const to = indptr[u + 1] as number;
  return {
    factors: [...model.userFactors.subarray(u * 8, (u + 1) * 8)],
    items: [...indices.subarray(from, to)],
    values: [...data.subarray(from, to)],
  };
}

const plain = (entry: UserEntry | undefined) =>
  entry && { factors: [...entry.factors], items: [...entry.items], values: [...entry.values] };

/** A BlockReader over users.bin that records each read's start, optionally held until released. */
function countingReader(
  options: { gated?: boolean; corrupt?: (start: number, bytes: Uint8Array) => Uint8Array } = {},
) {
  const starts: number[] = [];
  let release: () => void = () => {};
  const gate = options.gated
    ? new Promise<void>((resolve) => {
        release = resolve;
      })
    : Promise.resolve();
  const reader: BlockReader = {
    async read(start, end) {
      starts.push(start);
      await gate;
      const bytes = usersBytes.slice(start, end);
      return options.corrupt ? options.corrupt(start, bytes) : bytes;
    },
  };
  return { reader, starts, release: () => release() };
}

describe('Function: memoryUserSide', () => {
  it('finds every user with their factors and watched videos, synchronously', () => {
    // Prepare
    const users = memoryUserSide(directory, usersBytes);
    // Act
    const found = model.userIds.map((id) => users.lookup(id));
    // Assess
    expect(found.some((entry) => entry instanceof Promise)).toBe(false);
    expect(found.map((entry) => plain(entry as UserEntry))).toEqual(
      model.userIds.map((_, u) => expectedEntry(u)),
    );
    expect({ kind: users.kind, cachedBlocks: users.cachedBlocks(), blocksInModel: blocks > 3 }).toEqual({
      kind: 'memory',
      cachedBlocks: blocks,
      blocksInModel: true,
    });
  });

  it('answers undefined for unknown users', () => {
    // Prepare
    const users = memoryUserSide(directory, usersBytes);
    // Act
    const unknown = ['nobody', '', 'u1000', 'U1', 'u1 '].map((id) => users.lookup(id));
    // Assess
    expect(unknown).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });
});

describe('Function: lazyUserSide', () => {
  it('reads each block once and answers from the cache after that, synchronously', async () => {
    // Prepare
    const { reader, starts } = countingReader();
    const users = lazyUserSide(directory, reader, { cacheBytes: 1 << 30 });
    // Act
    const found = [];
    for (const id of model.userIds) found.push(plain(await users.lookup(id)));
    const again = users.lookup('u0');
    // Assess
    expect(found).toEqual(model.userIds.map((_, u) => expectedEntry(u)));
    expect(starts.toSorted((a, b) => a - b)).toEqual([...directory.offsets.subarray(0, blocks)]);
    expect(again instanceof Promise).toBe(false);
    expect(plain(again as UserEntry)).toEqual(expectedEntry(0));
    expect({ kind: users.kind, cachedBlocks: users.cachedBlocks() }).toEqual({
      kind: 'lazy',
      cachedBlocks: blocks,
    });
  });

  it('shares one read among concurrent lookups of the same block', async () => {
    // Prepare: the read is held until every lookup has started.
    const { reader, starts, release } = countingReader({ gated: true });
    const users = lazyUserSide(directory, reader);
    const ids = usersIn(1).slice(0, 5);
    // Act
    const pending = ids.map((id) => users.lookup(id));
    const readsWhileWaiting = starts.length;
    release();
    const found = await Promise.all(pending);
    // Assess
    expect({ readsWhileWaiting, reads: starts, found: found.map(plain) }).toEqual({
      readsWhileWaiting: 1,
      reads: [directory.offsets[1]],
      found: ids.map((id) => expectedEntry(model.userIds.indexOf(id))),
    });
  });

  it('evicts the least recently used blocks once the cache holds more bytes than allowed', async () => {
    // Prepare: room for any two of blocks 0..3 but not three (checked, so the test means what it says).
    const sizes = [0, 1, 2, 3].map(sizeOf);
    const budget = 2 * Math.max(...sizes);
    expect(3 * Math.min(...sizes)).toBeGreaterThan(budget);
    const { reader, starts } = countingReader();
    const users = lazyUserSide(directory, reader, { cacheBytes: budget });
    const one = (b: number): string => usersIn(b)[0] as string;
    // Act: 0, 1, 0 again (now the most recent), 2 (evicts 1), then 0 (cached) and 1 (read again).
    for (const b of [0, 1, 0, 2, 0, 1]) await users.lookup(one(b));
    // Assess
    expect({ reads: starts, cachedBlocks: users.cachedBlocks() }).toEqual({
      reads: [0, 1, 2, 1].map((b) => directory.offsets[b]),
      cachedBlocks: 2,
    });
  });

  it('refuses a block whose bytes do not match its digest, naming the block, and reads it again later', async () => {
    // Prepare: block 2 comes back with one bit flipped until the reader is fixed.
    let broken = true;
    const { reader, starts } = countingReader({
      corrupt: (start, bytes) => {
        if (broken && start === directory.offsets[2]) {
          const middle = bytes.length >> 1;
          bytes[middle] = (bytes[middle] as number) ^ 1;
        }
        return bytes;
      },
    });
    const users = lazyUserSide(directory, reader, { where: 'file:///models/v1/users.bin' });
    const id = usersIn(2)[0] as string;
    const start = directory.offsets[2] as number;
    const end = directory.offsets[3] as number;
    // Act
    const refused = users.lookup(id);
    // Assess
    await expect(refused).rejects.toThrow(ArtifactInvalidError);
    await expect(refused).rejects.toThrow(
      `file:///models/v1/users.bin block 2 (bytes ${start}..${end}) does not match its digest`,
    );
    expect(users.cachedBlocks()).toBe(0);
    // Act: the next lookup reads again and, with good bytes, succeeds.
    broken = false;
    const found = await users.lookup(id);
    // Assess
    expect({ reads: starts, found: plain(found) }).toEqual({
      reads: [start, start],
      found: expectedEntry(model.userIds.indexOf(id)),
    });
  });

  it('refuses a short read of a block', async () => {
    // Prepare
    const { reader } = countingReader({ corrupt: (_, bytes) => bytes.subarray(0, bytes.length - 8) });
    const users = lazyUserSide(directory, reader);
    // Act
    const refused = users.lookup(usersIn(0)[0] as string);
    // Assess
    await expect(refused).rejects.toThrow(
      `${USERS_FILE} block 0 (bytes 0..${directory.offsets[1]}) does not match its digest`,
    );
  });

  it('accepts block bytes at any offset of their buffer (pooled Buffers are not 4-byte aligned)', async () => {
    // Prepare: each block is returned as a view at an odd offset, as Node's pooled Buffers may be.
    const { reader } = countingReader({
      corrupt: (_, bytes) => {
        const pool = new Uint8Array(bytes.length + 3);
        pool.set(bytes, 3);
        return pool.subarray(3);
      },
    });
    const users = lazyUserSide(directory, reader);
    // Act
    const found = await users.lookup('u7');
    // Assess
    expect(plain(found)).toEqual(expectedEntry(7));
  });

  it('answers undefined for unknown users', async () => {
    // Prepare
    const { reader, starts } = countingReader();
    const users = lazyUserSide(directory, reader);
    // Act
    const unknown = await Promise.all(['nobody', '', 'u1000', 'U1'].map((id) => users.lookup(id)));
    // Assess: at most the block each would live in was read.
    expect(unknown).toEqual([undefined, undefined, undefined, undefined]);
    expect(starts.length).toBeLessThanOrEqual(4);
  });
});

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  blockDigest,
  blockOf,
  USER_BLOCK_TARGET_BYTES,
  UserBlock,
  UserBlockWriter,
  type UserDirectory,
  type UserRecord,
} from '../../src/artifact/user-blocks.js';
import { idHash } from '../../src/core/id-hash.js';

const FACTORS = 3;

/** A user whose factors and history are derived from `n`, so every user's answer is distinct. */
function user(id: string, hash: number, n: number, historyLength = n % 4): UserRecord {
  const items = Int32Array.from({ length: historyLength }, (_, j) => n + j * 7);
  return {
    id,
    hash,
    factors: Float32Array.from({ length: FACTORS }, (_, j) => n + j / 4),
    items,
    values: Float32Array.from(items, (_, j) => 1 + j),
  };
}

interface Written {
  blocks: Uint8Array[];
  file: Uint8Array;
  result: ReturnType<UserBlockWriter['finish']>;
}

/** Writes users (already in (hash, id) order) with a given block target. */
function write(users: readonly UserRecord[], targetBytes = USER_BLOCK_TARGET_BYTES): Written {
  const blocks: Uint8Array[] = [];
  const writer = new UserBlockWriter(FACTORS, (block) => blocks.push(block), targetBytes);
  for (const u of users) writer.add(u);
  const result = writer.finish();
  const file = new Uint8Array(Buffer.concat(blocks));
  return { blocks, file, result };
}

/** The users in (hash, id) order, as encodeModel hands them to the writer. */
function inHashOrder(users: UserRecord[]): UserRecord[] {
  return [...users].sort((a, b) => a.hash - b.hash || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Looks a user up the way a server does: directory, block, scan. */
function lookup(directory: UserDirectory, file: Uint8Array, id: string, hash: number) {
  const b = blockOf(directory, hash);
  if (b < 0) return undefined;
  const block = new UserBlock(
    file.subarray(directory.offsets[b] as number, directory.offsets[b + 1] as number),
  );
  const i = block.find(id, hash);
  if (i < 0) return undefined;
  const entry = block.entry(i);
  return {
    block: b,
    id: block.idAt(i),
    factors: [...entry.factors],
    items: [...entry.items],
    values: [...entry.values],
  };
}

const expected = (u: UserRecord) => ({
  id: u.id,
  factors: [...u.factors],
  items: [...u.items],
  values: [...u.values],
});

/** Hashes present in each block. */
function hashesPerBlock(written: Written): number[][] {
  return written.blocks.map((bytes) => {
    const n = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
    return [...new Uint32Array(bytes.buffer, bytes.byteOffset + 16, n)];
  });
}

describe('Class: UserBlockWriter', () => {
  it('lays out one block as documented (known answer for two users)', () => {
    // Prepare
    const users = [user('a', 10, 1, 2), user('bé', 20, 2, 1)];

    // Act
    const { blocks, result } = write(users);

    // Assess: header n=2, history=3, idBytes=1+3, factors=3; then hashes, factors, ptr, items, values, idOffsets, ids
    const b = blocks[0]!;
    const u32 = (at: number, n: number) => [...new Uint32Array(b.buffer, b.byteOffset + at, n)];
    const f32 = (at: number, n: number) => [...new Float32Array(b.buffer, b.byteOffset + at, n)];
    const i32 = (at: number, n: number) => [...new Int32Array(b.buffer, b.byteOffset + at, n)];
    const unpadded = 16 + 2 * 4 + 6 * 4 + 3 * 4 + 3 * 8 + 3 * 4 + 4;
    expect({
      blocks: blocks.length,
      length: b.byteLength,
      header: u32(0, 4),
      hashes: u32(16, 2),
      factors: f32(24, 6),
      ptr: i32(48, 3),
      items: i32(60, 3),
      values: f32(72, 3),
      idOffsets: u32(84, 3),
      ids: Buffer.from(b.subarray(96, 100)).toString('utf8'),
      padding: [...b.subarray(100)],
      result,
    }).toEqual({
      blocks: 1,
      length: Math.ceil(unpadded / 8) * 8,
      header: [2, 3, 4, 3],
      hashes: [10, 20],
      factors: [1, 1.25, 1.5, 2, 2.25, 2.5],
      ptr: [0, 2, 3],
      items: [1, 8, 2],
      values: [1, 2, 1],
      idOffsets: [0, 1, 4],
      ids: 'abé',
      padding: [0, 0, 0, 0],
      result: {
        directory: {
          hashes: Uint32Array.of(10),
          offsets: Float64Array.of(0, 104),
          digests: Uint32Array.from(blockDigest(b)),
        },
        bytes: 104,
        sha256: createHash('sha256').update(b).digest('hex'),
        users: 2,
        blocks: 1,
      },
    });
  });

  it('never splits users of equal hash across blocks, even far above the target size', () => {
    // Prepare: crafted hash runs, a target so small every user would close a block
    const runs = [1, 1, 1, 2, 2, 5, 5, 5, 5, 9, 11, 11];
    const users = runs.map((hash, i) => user(`id-${String(i).padStart(2, '0')}`, hash, i, 3));

    // Act
    const written = write(users, 64);
    const perBlock = hashesPerBlock(written);

    // Assess: each hash in exactly one block; blocks break exactly where the hash changes
    expect(perBlock).toEqual([[1, 1, 1], [2, 2], [5, 5, 5, 5], [9], [11, 11]]);
    expect(written.result.directory.hashes).toEqual(Uint32Array.of(1, 2, 5, 9, 11));
  });

  it('fills blocks up to the target and streams each to the sink when it closes', () => {
    // Prepare
    const users = inHashOrder(Array.from({ length: 400 }, (_, i) => user(`u${i}`, idHash(`u${i}`), i)));
    const blocks: number[] = [];
    const writer = new UserBlockWriter(FACTORS, (block) => blocks.push(block.byteLength), 1024);

    // Act
    for (const u of users.slice(0, 200)) writer.add(u);
    const streamedBeforeFinish = blocks.length;
    for (const u of users.slice(200)) writer.add(u);
    const result = writer.finish();

    // Assess
    expect({
      streamed: streamedBeforeFinish > 0,
      allBelowTargetPlusOneUser: blocks.every((size) => size <= 1024 + 64),
      mostlyFull: blocks.slice(0, -1).every((size) => size > 512),
      blocks: result.blocks,
      users: result.users,
      bytes: result.bytes,
    }).toEqual({
      streamed: true,
      allBelowTargetPlusOneUser: true,
      mostlyFull: true,
      blocks: blocks.length,
      users: 400,
      bytes: blocks.reduce((a, b) => a + b, 0),
    });
  });

  it('puts a user bigger than the target in a block of its own', () => {
    // Prepare
    const users = [user('a', 1, 1, 1), user('big', 2, 2, 500), user('c', 3, 3, 1)];

    // Act
    const written = write(users, 256);

    // Assess
    expect({ perBlock: hashesPerBlock(written), bigBlock: written.blocks[1]!.byteLength > 4000 }).toEqual({
      perBlock: [[1], [2], [3]],
      bigBlock: true,
    });
  });

  it('writes a directory whose offsets, digests and sha256 describe the concatenated blocks', () => {
    // Prepare
    const users = inHashOrder(
      Array.from({ length: 300 }, (_, i) => user(`user-${i}`, idHash(`user-${i}`), i)),
    );

    // Act
    const { blocks, file, result } = write(users, 512);

    // Assess
    const starts = blocks.map((_, b) => result.directory.offsets[b]);
    expect({
      offsets: [...result.directory.offsets],
      digests: [...result.directory.digests],
      sha256: result.sha256,
      bytes: result.bytes,
      aligned: starts.every((s) => (s as number) % 8 === 0),
      firstHashes: [...result.directory.hashes],
    }).toEqual({
      offsets: [0, ...blocks.map((_, b) => blocks.slice(0, b + 1).reduce((a, x) => a + x.byteLength, 0))],
      digests: blocks.flatMap((b) => blockDigest(b)),
      sha256: createHash('sha256').update(file).digest('hex'),
      bytes: file.byteLength,
      aligned: true,
      firstHashes: hashesPerBlock({ blocks, file, result }).map((h) => h[0]),
    });
  });

  it('finishes an empty user side as no blocks and an empty file', () => {
    // Act
    const { result } = write([]);

    // Assess
    expect(result).toEqual({
      directory: { hashes: new Uint32Array(0), offsets: Float64Array.of(0), digests: new Uint32Array(0) },
      bytes: 0,
      sha256: createHash('sha256').digest('hex'),
      users: 0,
      blocks: 0,
    });
  });

  it('refuses users out of (hash, id) order or repeated', () => {
    // Prepare
    const cases: [string, UserRecord[]][] = [
      ['hash goes down', [user('a', 5, 1), user('b', 4, 2)]],
      ['same hash, id goes down', [user('b', 5, 1), user('a', 5, 2)]],
      ['repeat', [user('a', 5, 1), user('a', 5, 2)]],
      ['same hash, id goes up', [user('a', 5, 1), user('b', 5, 2)]],
    ];

    // Act
    const outcomes = cases.map(([label, users]) => {
      try {
        write(users);
        return [label, 'accepted'];
      } catch (error) {
        return [label, error instanceof RangeError ? error.message : 'wrong error'];
      }
    });

    // Assess
    expect(Object.fromEntries(outcomes)).toEqual({
      'hash goes down': 'users must come in (hash, id) order without repeats: "b"',
      'same hash, id goes down': 'users must come in (hash, id) order without repeats: "a"',
      repeat: 'users must come in (hash, id) order without repeats: "a"',
      'same hash, id goes up': 'accepted',
    });
  });
});

describe('Function: blockOf', () => {
  const directory: UserDirectory = {
    hashes: Uint32Array.of(10, 20, 30),
    offsets: Float64Array.of(0, 8, 16, 24),
    digests: new Uint32Array(6),
  };

  it('finds the last block whose first hash is not above the hash', () => {
    // Act
    const blocks = [0, 9, 10, 11, 19, 20, 29, 30, 31, 0xffffffff].map((h) => blockOf(directory, h));

    // Assess
    expect(blocks).toEqual([-1, -1, 0, 0, 0, 1, 1, 2, 2, 2]);
  });

  it('answers -1 from an empty directory', () => {
    // Act
    const block = blockOf(
      { hashes: new Uint32Array(0), offsets: Float64Array.of(0), digests: new Uint32Array(0) },
      7,
    );

    // Assess
    expect(block).toBe(-1);
  });
});

describe('Class: UserBlock', () => {
  it('finds every user through the directory, with hashes forced to collide', () => {
    // Prepare: 60 users on 6 hashes, ids with non-ASCII characters, a tiny target
    const users = inHashOrder(
      Array.from({ length: 60 }, (_, i) => user(`ユーザー-${i}`, 1000 + (i % 6) * 7, i)),
    );
    const { file, result } = write(users, 200);

    // Act
    const found = users.map((u) => lookup(result.directory, file, u.id, u.hash));

    // Assess
    expect({ blocks: result.blocks, found: found.map((f) => f && { ...f, block: undefined }) }).toEqual({
      blocks: 6,
      found: users.map((u) => ({ ...expected(u), block: undefined })),
    });
  });

  it('finds every user hashed with the real id hash, and no absent one', () => {
    // Prepare
    const ids = Array.from({ length: 500 }, (_, i) => (i % 5 === 0 ? `üser-${i}` : `user-${i}`));
    const users = inHashOrder(ids.map((id, i) => user(id, idHash(id), i)));
    const { file, result } = write(users, 2048);
    const absent = ['user-500', 'user-', '', 'USER-1', 'üser-1'];

    // Act
    const found = users.map((u) => lookup(result.directory, file, u.id, idHash(u.id))?.factors);
    const missing = absent.map((id) => lookup(result.directory, file, id, idHash(id)));

    // Assess
    expect({ found, missing }).toEqual({
      found: users.map((u) => [...u.factors]),
      missing: absent.map(() => undefined),
    });
  });

  it('answers -1 for an id whose hash is in the block but whose bytes differ, and for a hash between users', () => {
    // Prepare
    const { blocks } = write([user('a', 5, 1), user('b', 5, 2), user('c', 9, 3)]);
    const block = new UserBlock(blocks[0]!);

    // Act
    const positions = {
      a: block.find('a', 5),
      b: block.find('b', 5),
      c: block.find('c', 9),
      collision: block.find('z', 5),
      wrongHash: block.find('c', 5),
      between: block.find('x', 7),
      after: block.find('x', 10),
      before: block.find('x', 1),
    };

    // Assess
    expect(positions).toEqual({
      a: 0,
      b: 1,
      c: 2,
      collision: -1,
      wrongHash: -1,
      between: -1,
      after: -1,
      before: -1,
    });
  });

  it('reads a block at any 4-aligned offset of a larger buffer, also shared memory', () => {
    // Prepare
    const u = user('ü-1', 3, 7, 3);
    const { blocks } = write([u]);
    const shared = new Uint8Array(new SharedArrayBuffer(blocks[0]!.byteLength + 12));
    shared.set(blocks[0]!, 12);

    // Act
    const block = new UserBlock(shared.subarray(12));
    const entry = block.entry(block.find('ü-1', 3));

    // Assess
    expect({
      id: block.idAt(0),
      factors: [...entry.factors],
      items: [...entry.items],
      values: [...entry.values],
    }).toEqual(expected(u));
  });

  it('refuses a misaligned, too short, or self-contradicting block', () => {
    // Prepare
    const { blocks } = write([user('a', 1, 1, 2), user('b', 2, 2, 2)]);
    const good = blocks[0]!;
    const misaligned = new Uint8Array(good.byteLength + 2).subarray(2);
    misaligned.set(good);
    const overclaiming = new Uint8Array(good);
    new DataView(overclaiming.buffer).setUint32(0, 1000, true);
    const bigIds = new Uint8Array(good);
    new DataView(bigIds.buffer).setUint32(8, 10_000, true);

    // Act
    const outcomes = [misaligned, good.subarray(0, 12), overclaiming, bigIds].map((bytes) => {
      try {
        new UserBlock(bytes);
        return 'accepted';
      } catch (error) {
        return error instanceof RangeError ? error.message : 'wrong error';
      }
    });

    // Assess
    expect(outcomes).toEqual(outcomes.map(() => 'user block is malformed'));
  });
});

describe('Function: blockDigest', () => {
  it('is the first 8 bytes of the block sha256, and changes when any single byte flips', () => {
    // Prepare
    const { blocks, result } = write([user('a', 1, 1, 3), user('ü', 2, 2, 2), user('c', 3, 3, 1)]);
    const block = blocks[0]!;
    const sha = createHash('sha256').update(block).digest();

    // Act
    const unchanged = blockDigest(block);
    const undetected: number[] = [];
    for (let i = 0; i < block.byteLength; i++) {
      const flipped = new Uint8Array(block);
      flipped[i] = (flipped[i] as number) ^ 0x01;
      const [d0, d1] = blockDigest(flipped);
      if (d0 === result.directory.digests[0] && d1 === result.directory.digests[1]) undetected.push(i);
    }

    // Assess
    expect({ unchanged, undetected }).toEqual({
      unchanged: [sha.readUInt32LE(0), sha.readUInt32LE(4)],
      undetected: [],
    });
  });
});

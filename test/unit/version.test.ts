import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EncodedArtifact } from '../../src/artifact/encode.js';
import { type Pointer, pointerFor } from '../../src/artifact/format.js';
import { blockDigest, blockOf, UserBlock } from '../../src/artifact/user-blocks.js';
import { ArtifactInvalidError, ModelNotLoadedError } from '../../src/core/errors.js';
import { idHash } from '../../src/core/id-hash.js';
import { publishModel } from '../../src/store/publish.js';
import { type ArtifactSource, localSource } from '../../src/store/source.js';
import { type FetchedVersion, type FetchOptions, fetchVersion } from '../../src/store/version.js';
import { artifactById, modelById } from '../helpers/read-back.js';
import { tinyArtifact, tinyModel } from '../helpers/tiny-model.js';

const artifact = (seed: number): EncodedArtifact => tinyArtifact({ seed, users: 40, videos: 12 });
const model = (seed: number) => tinyModel({ seed, users: 40, videos: 12 });

let root: string;
let source: ArtifactSource;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'version-'));
  source = localSource({ kind: 'local', dir: root, uri: root });
});
afterEach(async () => {
  await source.close();
  await rm(root, { recursive: true, force: true });
});

const everything: FetchOptions = {
  allocateItems: (bytes) => new Uint8Array(bytes),
  preloadUsersBytes: 1 << 30,
};

/** A version file's path under the root. */
const fileOf = (version: string, name: string): string => join(root, 'models', version, name);

async function refusal(
  pointer: Pointer,
  pinned = false,
  options = everything,
): Promise<{ kind: string; message: string }> {
  try {
    await fetchVersion(source, pointer, pinned, options);
  } catch (error) {
    return { kind: (error as Error).constructor.name, message: (error as Error).message };
  }
  return { kind: 'none', message: 'accepted' };
}

/** Reads one user through `readRange` the way a lazily loading server does, checking the block digest. */
async function remoteUser(fetched: FetchedVersion, id: string): Promise<number[] | undefined> {
  if (fetched.users.kind !== 'remote') throw new Error('expected remote users');
  const { users } = fetched.view;
  const b = blockOf(users, idHash(id));
  if (b < 0) return undefined;
  const bytes = await source.readRange(
    fetched.users.path,
    users.offsets[b] as number,
    users.offsets[b + 1] as number,
  );
  const [d0, d1] = blockDigest(bytes);
  if (d0 !== users.digests[2 * b] || d1 !== users.digests[2 * b + 1]) throw new Error('digest mismatch');
  const block = new UserBlock(bytes);
  const i = block.find(id, idHash(id));
  return i < 0 ? undefined : [...block.entry(i).factors];
}

describe('Function: fetchVersion (local directory)', () => {
  it('places items in the memory the caller gives and preloads a small users.bin into shared memory', async () => {
    // Prepare
    const encoded = artifact(1);
    await publishModel(root, encoded);
    const memory = new Uint8Array(new SharedArrayBuffer(encoded.manifest.items.bytes + 128));
    const asked: number[][] = [];
    const v = encoded.manifest.version;

    // Act
    const fetched = await fetchVersion(source, pointerFor(v), false, {
      allocateItems: (bytes, factors) => {
        asked.push([bytes, factors]);
        return memory.subarray(64, 64 + bytes);
      },
      preloadUsersBytes: encoded.manifest.users.bytes,
    });

    // Assess
    const users = fetched.users.kind === 'memory' ? fetched.users.bytes : new Uint8Array(0);
    expect({
      version: fetched.version,
      manifest: fetched.manifest,
      convertedFrom: fetched.convertedFrom,
      asked,
      itemsInCallerMemory: fetched.items.buffer === memory.buffer && fetched.items.byteOffset === 64,
      viewInCallerMemory: fetched.view.itemFactors.buffer === memory.buffer,
      users: fetched.users.kind,
      usersShared: users.buffer instanceof SharedArrayBuffer,
      usersBin: Buffer.from(users).equals(Buffer.from(encoded.files['users.bin']!)),
      answers: artifactById(fetched.view, users, model(1).userIds),
    }).toEqual({
      version: v,
      manifest: encoded.manifest,
      convertedFrom: undefined,
      asked: [[encoded.manifest.items.bytes, 4]],
      itemsInCallerMemory: true,
      viewInCallerMemory: true,
      users: 'memory',
      usersShared: true,
      usersBin: true,
      answers: modelById(model(1)),
    });
  });

  it('leaves a users.bin above the preload threshold remote, read per block by range', async () => {
    // Prepare
    const encoded = artifact(2);
    await publishModel(root, encoded);
    const v = encoded.manifest.version;

    // Act
    const fetched = await fetchVersion(source, pointerFor(v), false, {
      ...everything,
      preloadUsersBytes: encoded.manifest.users.bytes - 1,
    });
    const factors = await Promise.all(model(2).userIds.map((id) => remoteUser(fetched, id)));

    // Assess
    expect({ users: fetched.users, factors, absent: await remoteUser(fetched, 'nobody') }).toEqual({
      users: { kind: 'remote', path: `models/${v}/users.bin` },
      factors: model(2).userIds.map((id) => modelById(model(2)).users[id]!.factors),
      absent: undefined,
    });
  });

  it('loads a pinned older version while the pointer names a newer one', async () => {
    // Prepare
    const older = artifact(1);
    await publishModel(root, older);
    await publishModel(root, artifact(2));

    // Act
    const fetched = await fetchVersion(source, pointerFor(older.manifest.version), true, everything);

    // Assess
    expect(fetched.version).toBe(older.manifest.version);
  });

  it('refuses a truncated or missing items.bin, naming the version and the file', async () => {
    // Prepare
    const encoded = artifact(1);
    await publishModel(root, encoded);
    const v = encoded.manifest.version;
    const items = encoded.files['items.bin']!;

    // Act
    await writeFile(fileOf(v, 'items.bin'), items.subarray(0, 100));
    const truncated = await refusal(pointerFor(v));
    await rm(fileOf(v, 'items.bin'));
    const missing = await refusal(pointerFor(v));

    // Assess
    expect({ truncated, missing }).toEqual({
      truncated: {
        kind: 'ArtifactInvalidError',
        message: `Model version ${v} at ${root} is invalid: models/${v}/items.bin is truncated: 100 of ${items.byteLength} bytes`,
      },
      missing: {
        kind: 'ArtifactInvalidError',
        message: `Model version ${v} at ${root} is invalid: models/${v}/items.bin is missing`,
      },
    });
  });

  it('refuses a corrupt items.bin, naming the section that differs', async () => {
    // Prepare
    const encoded = artifact(1);
    await publishModel(root, encoded);
    const v = encoded.manifest.version;
    const gram = encoded.manifest.items.sections.find((s) => s.name === 'gram')!;
    const bytes = await readFile(fileOf(v, 'items.bin'));
    bytes[gram.offset + 3] = (bytes[gram.offset + 3] as number) ^ 0x40;
    await writeFile(fileOf(v, 'items.bin'), bytes);

    // Act
    const result = await refusal(pointerFor(v));

    // Assess
    expect(result).toEqual({
      kind: 'ArtifactInvalidError',
      message: expect.stringMatching(
        new RegExp(
          `^Model version ${v} at ${root} is invalid: items\\.bin sha256 mismatch: expected ${encoded.manifest.items.sha256}, got [0-9a-f]{64} \\(section gram differs\\)$`,
        ),
      ),
    });
  });

  it('refuses a preloaded users.bin whose sha256 does not match, or that is short', async () => {
    // Prepare
    const encoded = artifact(1);
    await publishModel(root, encoded);
    const v = encoded.manifest.version;
    const users = new Uint8Array(encoded.files['users.bin']!);

    // Act
    users[users.length - 20] = (users[users.length - 20] as number) ^ 1;
    await writeFile(fileOf(v, 'users.bin'), users);
    const corrupt = await refusal(pointerFor(v));
    await writeFile(fileOf(v, 'users.bin'), users.subarray(0, 64));
    const short = await refusal(pointerFor(v));

    // Assess
    expect({ corrupt, short }).toEqual({
      corrupt: {
        kind: 'ArtifactInvalidError',
        message: expect.stringMatching(
          new RegExp(
            `^Model version ${v} at ${root} is invalid: users\\.bin sha256 mismatch: expected ${encoded.manifest.users.sha256}, got [0-9a-f]{64}$`,
          ),
        ),
      },
      short: {
        kind: 'ArtifactInvalidError',
        message: `Model version ${v} at ${root} is invalid: models/${v}/users.bin is truncated: 64 of ${users.byteLength} bytes`,
      },
    });
  });

  it('refuses a remote users.bin that is missing or short at load, before it replaces a working version', async () => {
    // Prepare
    const encoded = artifact(1);
    await publishModel(root, encoded);
    const v = encoded.manifest.version;
    const remote = { ...everything, preloadUsersBytes: 0 };

    // Act
    await writeFile(fileOf(v, 'users.bin'), encoded.files['users.bin']!.subarray(0, 64));
    const short = await refusal(pointerFor(v), false, remote);
    await source.close();
    await rm(fileOf(v, 'users.bin'));
    const missing = await refusal(pointerFor(v), false, remote);

    // Assess
    expect({ short, missing }).toEqual({
      short: {
        kind: 'ArtifactInvalidError',
        message: `Model version ${v} at ${root} is invalid: models/${v}/users.bin is shorter than byte ${encoded.manifest.users.bytes}`,
      },
      missing: {
        kind: 'ArtifactInvalidError',
        message: `Model version ${v} at ${root} is invalid: models/${v}/users.bin is missing`,
      },
    });
  });

  it('loads a version refused for a short remote users.bin once the file is published whole, through the same source', async () => {
    // Prepare
    const encoded = artifact(1);
    await publishModel(root, encoded);
    const v = encoded.manifest.version;
    const remote = { ...everything, preloadUsersBytes: 0 };
    await writeFile(fileOf(v, 'users.bin'), encoded.files['users.bin']!.subarray(0, 64));
    const refused = await refusal(pointerFor(v), false, remote);

    // Act: publishing again renames whole files into place
    await publishModel(root, encoded);
    const fetched = await fetchVersion(source, pointerFor(v), false, remote);

    // Assess
    expect({
      refused: refused.kind,
      version: fetched.version,
      user: await remoteUser(fetched, 'u001'),
    }).toEqual({
      refused: 'ArtifactInvalidError',
      version: v,
      user: modelById(model(1)).users.u001!.factors,
    });
  });

  it('refuses a manifest of another version than the pointer names', async () => {
    // Prepare
    const encoded = artifact(1);
    await publishModel(root, encoded);
    const other = '20990101T000000Z-00000000';

    // Act
    const result = await refusal({ version: other, manifest: pointerFor(encoded.manifest.version).manifest });

    // Assess
    expect(result).toEqual({
      kind: 'ArtifactInvalidError',
      message: `Model version ${other} at ${root} is invalid: manifest.json is version ${encoded.manifest.version}, expected ${other}`,
    });
  });

  it('answers "not found" for a pinned version that does not exist, "invalid" when the pointer names it', async () => {
    // Prepare
    await publishModel(root, artifact(1));
    const absent = pointerFor('20990101T000000Z-00000000');

    // Act
    const results = [await refusal(absent, true), await refusal(absent, false)];

    // Assess
    expect(results).toEqual([
      {
        kind: 'ModelNotLoadedError',
        message: `Model version 20990101T000000Z-00000000 not found: ${root}/${absent.manifest} does not exist`,
      },
      {
        kind: 'ArtifactInvalidError',
        message: `Model version 20990101T000000Z-00000000 at ${root} is invalid: ${root}/${absent.manifest} does not exist, though the pointer names it`,
      },
    ]);
  });

  it('refuses an unknown format version before reading any large file', async () => {
    // Prepare
    const encoded = artifact(1);
    await publishModel(root, encoded);
    const v = encoded.manifest.version;
    await writeFile(fileOf(v, 'manifest.json'), JSON.stringify({ ...encoded.manifest, formatVersion: 9 }));
    await rm(fileOf(v, 'items.bin'));
    await rm(fileOf(v, 'users.bin'));

    // Act
    const result = await refusal(pointerFor(v));

    // Assess
    expect(result).toEqual({
      kind: 'ArtifactInvalidError',
      message: `Model version ${v} at ${root} is invalid: manifest.json has unknown format version 9 (this reader supports 1 and 2)`,
    });
  });

  it('refuses a manifest that is not JSON or breaks the schema, keeping the cause', async () => {
    // Prepare
    const encoded = artifact(1);
    await publishModel(root, encoded);
    const v = encoded.manifest.version;

    // Act
    await writeFile(fileOf(v, 'manifest.json'), '{"formatVersion": 2,');
    const notJson = await fetchVersion(source, pointerFor(v), false, everything).catch((e: unknown) => e);
    await writeFile(
      fileOf(v, 'manifest.json'),
      JSON.stringify({ ...encoded.manifest, counts: { users: 'many' } }),
    );
    const schema = await refusal(pointerFor(v));

    // Assess
    expect({
      notJson: (notJson as Error).message,
      cause: ((notJson as Error).cause as Error).message,
      schema,
    }).toEqual({
      notJson: `Model version ${v} at ${root} is invalid: manifest.json is not valid JSON`,
      cause: 'manifest.json is not valid JSON',
      schema: {
        kind: 'ArtifactInvalidError',
        message: expect.stringMatching(
          new RegExp(`^Model version ${v} at ${root} is invalid: manifest\\.json is invalid: counts\\.`),
        ),
      },
    });
  });

  it('lets errors other than invalid artifacts through unwrapped', async () => {
    // Prepare
    const failing: ArtifactSource = {
      ...source,
      readText: async () => {
        throw new ModelNotLoadedError('Cannot read s3://b/p/manifest.json: ECONNRESET');
      },
    };

    // Act
    const error = await fetchVersion(
      failing,
      pointerFor('20990101T000000Z-00000000'),
      false,
      everything,
    ).catch((e: unknown) => e);

    // Assess
    expect({
      kind: error instanceof ModelNotLoadedError,
      invalid: error instanceof ArtifactInvalidError,
      message: (error as Error).message,
    }).toEqual({
      kind: true,
      invalid: false,
      message: 'Cannot read s3://b/p/manifest.json: ECONNRESET',
    });
  });
});

import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  type GetObjectCommandInput,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EncodedArtifact } from '../../src/artifact/encode.js';
import { type Pointer, pointerFor } from '../../src/artifact/format.js';
import { blockDigest, blockOf, UserBlock } from '../../src/artifact/user-blocks.js';
import { ArtifactInvalidError, ModelNotLoadedError } from '../../src/core/errors.js';
import { idHash } from '../../src/core/id-hash.js';
import { type ModelLocation, parseModelUri } from '../../src/store/location.js';
import { publishModel } from '../../src/store/publish.js';
import type { RetryPolicy } from '../../src/store/retry.js';
import { type RangedGetOptions, s3Source } from '../../src/store/s3-source.js';
import type { ArtifactSource, PointerRead } from '../../src/store/source.js';
import { type FetchedVersion, type FetchOptions, fetchVersion } from '../../src/store/version.js';
import { freePort, type Moto, startMoto } from '../helpers/moto.js';
import { artifactById, modelById } from '../helpers/read-back.js';
import { motoClient } from '../helpers/s3-spy.js';
import { tinyArtifact, tinyModel } from '../helpers/tiny-model.js';
import { encodeV1Model, v1Files } from '../helpers/v1-artifact.js';

const RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 };
const everything: FetchOptions = {
  allocateItems: (bytes) => new Uint8Array(bytes),
  preloadUsersBytes: 1 << 30,
};
const artifact = (seed: number): EncodedArtifact => tinyArtifact({ seed, users: 60, videos: 30 });
const model = (seed: number) => tinyModel({ seed, users: 60, videos: 30 });

let moto: Moto;
let s3: S3Client;
let buckets = 0;

beforeAll(async () => {
  moto = await startMoto();
  s3 = motoClient();
});
afterAll(async () => {
  s3.destroy();
  await moto.stop();
});

/** A fresh bucket with a root `s3://bucket/recs`, the given artifacts published in order. */
async function root(...published: EncodedArtifact[]): Promise<{ bucket: string; uri: string }> {
  const bucket = `store-${++buckets}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const uri = `s3://${bucket}/recs`;
  for (const a of published) await publishModel(uri, a, {}, { s3 });
  return { bucket, uri };
}

function sourceOf(uri: string, client: S3Client = s3, ranged?: RangedGetOptions): ArtifactSource {
  return s3Source(parseModelUri(uri) as Extract<ModelLocation, { kind: 's3' }>, client, RETRY, ranged);
}

interface Sent {
  command: string;
  key: string | undefined;
  range?: string;
  ifMatch?: string;
  ifNoneMatch?: string;
}

/** Records what a client sends (before the SDK's own retries), conditional headers included. */
function recordSent(client: S3Client): Sent[] {
  const sent: Sent[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { Key?: string; Range?: string; IfMatch?: string; IfNoneMatch?: string };
      sent.push({
        command: String(context.commandName),
        key: input.Key,
        ...(input.Range && { range: input.Range }),
        ...(input.IfMatch && { ifMatch: input.IfMatch }),
        ...(input.IfNoneMatch && { ifNoneMatch: input.IfNoneMatch }),
      });
      return next(args);
    },
    { step: 'initialize', name: 'recordSent' },
  );
  return sent;
}

async function put(bucket: string, key: string, body: Uint8Array | string): Promise<string | undefined> {
  return (await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }))).ETag;
}

async function outcome(run: () => Promise<unknown>): Promise<{ kind: string; message: string }> {
  try {
    await run();
  } catch (error) {
    return { kind: (error as Error).constructor.name, message: (error as Error).message };
  }
  return { kind: 'none', message: 'accepted' };
}

const bytes = (n: number, salt = 0): Uint8Array =>
  Uint8Array.from({ length: n }, (_, i) => (i * 13 + salt) % 251);

/** The pointer of a read that found one. */
function pointerOf(read: PointerRead): Pointer {
  if (!read.changed || read.pointer === undefined) throw new Error('expected a pointer');
  return read.pointer;
}

/** An S3 error as the SDK raises it. */
const s3Error = (name: string, status: number | undefined): Error =>
  Object.assign(new Error(`${name} (injected)`), {
    name,
    ...(status === undefined ? {} : { $metadata: { httpStatusCode: status } }),
  });

describe('Function: s3Source (S3 emulator)', () => {
  describe('readPointer', () => {
    it('answers an unchanged pointer from a conditional GET (304) and a moved one with its content', async () => {
      // Prepare
      const { uri } = await root(artifact(1));
      const client = motoClient();
      const sent = recordSent(client);
      const source = sourceOf(uri, client);

      // Act
      const first = await source.readPointer();
      const tag = first.changed ? first.tag : undefined;
      const again = await source.readPointer(tag);
      await publishModel(uri, artifact(2), {}, { s3 });
      const moved = await source.readPointer(tag);

      // Assess
      expect({ first, again, moved, sent }).toEqual({
        first: {
          changed: true,
          pointer: pointerFor(artifact(1).manifest.version),
          tag: expect.stringMatching(/^"[0-9a-f]+"$/),
        },
        again: { changed: false },
        moved: { changed: true, pointer: pointerFor(artifact(2).manifest.version), tag: expect.any(String) },
        sent: [
          { command: 'GetObjectCommand', key: 'recs/latest.json' },
          { command: 'GetObjectCommand', key: 'recs/latest.json', ifNoneMatch: tag },
          { command: 'GetObjectCommand', key: 'recs/latest.json', ifNoneMatch: tag },
        ],
      });
      expect(moved.changed && moved.tag).not.toBe(tag);
      client.destroy();
    });

    it('returns an invalid pointer as an error with its ETag, not thrown, and unchanged on the next poll', async () => {
      // Prepare
      const { bucket, uri } = await root();
      const etag = await put(bucket, 'recs/latest.json', '{"version":"latest"}');
      const source = sourceOf(uri);

      // Act
      const read = await source.readPointer();
      const again = await source.readPointer(etag);

      // Assess
      expect({ read, again }).toEqual({
        read: {
          changed: true,
          pointer: undefined,
          tag: etag,
          error: new ArtifactInvalidError(
            `${uri}/latest.json is invalid: version: must look like 20250101T102000Z-1a2b3c4d`,
          ),
        },
        again: { changed: false },
      });
    });

    it('says no model is published when the pointer is missing', async () => {
      // Prepare
      const { uri } = await root();

      // Act
      const result = await outcome(() => sourceOf(uri).readPointer());

      // Assess
      expect(result).toEqual({
        kind: 'ModelNotLoadedError',
        message: `No model published at ${uri}: latest.json not found`,
      });
    });
  });

  describe('readText', () => {
    it('reads a small file and answers undefined for a missing one', async () => {
      // Prepare
      const { bucket, uri } = await root();
      await put(bucket, 'recs/models/v/manifest.json', '{"title":"café"}');
      const source = sourceOf(uri);

      // Act
      const texts = [
        await source.readText('models/v/manifest.json'),
        await source.readText('models/v/none.json'),
      ];

      // Assess
      expect(texts).toEqual(['{"title":"café"}', undefined]);
    });
  });

  describe('readInto', () => {
    it('reads a file in ranged parts, every part after the first conditional on the first ETag', async () => {
      // Prepare
      const { bucket, uri } = await root();
      const etag = await put(bucket, 'recs/items.bin', bytes(10_000));
      const client = motoClient();
      const sent = recordSent(client);
      const target = new Uint8Array(10_064).fill(0xee);

      // Act
      await sourceOf(uri, client, { partSize: 1024, concurrency: 3 }).readInto(
        'items.bin',
        target.subarray(32, 10_032),
      );

      // Assess
      const ranges = Array.from(
        { length: 10 },
        (_, i) => `bytes=${i * 1024}-${Math.min(10_000, (i + 1) * 1024) - 1}`,
      );
      expect({
        filled: Buffer.from(target.subarray(32, 10_032)).equals(Buffer.from(bytes(10_000))),
        untouched: [target[31], target[10_032]],
        sent: [...sent].sort((a, b) => Number(a.range?.split(/[=-]/)[1]) - Number(b.range?.split(/[=-]/)[1])),
      }).toEqual({
        filled: true,
        untouched: [0xee, 0xee],
        sent: ranges.map((range, i) => ({
          command: 'GetObjectCommand',
          key: 'recs/items.bin',
          range,
          ...(i > 0 && { ifMatch: etag }),
        })),
      });
      client.destroy();
    });

    it('stops with an error when the file is replaced between parts (If-Match fails), reading no more parts', async () => {
      // Prepare: the file is rewritten as soon as the first part has arrived
      const { bucket, uri } = await root();
      await put(bucket, 'recs/items.bin', bytes(4096));
      const client = motoClient();
      const sent = recordSent(client);
      let replaced = false;
      client.middlewareStack.add(
        (next) => async (args) => {
          const result = await next(args);
          if (!replaced) {
            replaced = true;
            await put(bucket, 'recs/items.bin', bytes(4096, 1));
          }
          return result;
        },
        { step: 'initialize', name: 'replaceAfterFirstPart' },
      );

      // Act
      const result = await outcome(() =>
        sourceOf(uri, client, { partSize: 1024, concurrency: 1 }).readInto('items.bin', new Uint8Array(4096)),
      );

      // Assess
      expect({ result, gets: sent.length }).toEqual({
        result: {
          kind: 'ModelNotLoadedError',
          message: `Cannot read ${uri}/items.bin: At least one of the pre-conditions you specified did not hold`,
        },
        gets: 2,
      });
      client.destroy();
    });

    it('refuses a file shorter or longer than the target, and a missing one, as invalid', async () => {
      // Prepare
      const { bucket, uri } = await root();
      await put(bucket, 'recs/short.bin', bytes(900));
      await put(bucket, 'recs/long.bin', bytes(1100));
      const source = sourceOf(uri, s3, { partSize: 256, concurrency: 2 });

      // Act
      const results = [
        await outcome(() => source.readInto('short.bin', new Uint8Array(1000))),
        await outcome(() => source.readInto('long.bin', new Uint8Array(1000))),
        await outcome(() => source.readInto('none.bin', new Uint8Array(1000))),
      ];

      // Assess
      expect(results).toEqual([
        { kind: 'ArtifactInvalidError', message: 'short.bin is truncated: 900 of 1000 bytes' },
        { kind: 'ArtifactInvalidError', message: 'long.bin has 1100 bytes, the manifest says 1000' },
        { kind: 'ArtifactInvalidError', message: 'none.bin is missing' },
      ]);
    });
  });

  describe('readRange', () => {
    it('reads byte ranges with one ranged GET each', async () => {
      // Prepare
      const { bucket, uri } = await root();
      await put(bucket, 'recs/users.bin', bytes(5000));
      const client = motoClient();
      const sent = recordSent(client);
      const source = sourceOf(uri, client);

      // Act
      const parts = [
        await source.readRange('users.bin', 0, 16),
        await source.readRange('users.bin', 4990, 5000),
      ];

      // Assess
      expect({ parts: parts.map((p) => [...p]), ranges: sent.map((s) => s.range) }).toEqual({
        parts: [[...bytes(5000).subarray(0, 16)], [...bytes(5000).subarray(4990, 5000)]],
        ranges: ['bytes=0-15', 'bytes=4990-4999'],
      });
      client.destroy();
    });

    it('refuses a range past the end of the file at once, without retrying, and a missing file', async () => {
      // Prepare
      const { bucket, uri } = await root();
      await put(bucket, 'recs/users.bin', bytes(100));
      const client = motoClient();
      const sent = recordSent(client);
      const source = sourceOf(uri, client);

      // Act
      const results = [
        await outcome(() => source.readRange('users.bin', 90, 120)),
        await outcome(() => source.readRange('users.bin', 100, 108)),
        await outcome(() => source.readRange('none.bin', 0, 8)),
      ];

      // Assess
      expect({ results, gets: sent.length }).toEqual({
        results: [
          { kind: 'ArtifactInvalidError', message: 'users.bin is shorter than byte 120' },
          { kind: 'ArtifactInvalidError', message: 'users.bin is shorter than byte 108' },
          { kind: 'ArtifactInvalidError', message: 'none.bin is missing' },
        ],
        gets: 3,
      });
      client.destroy();
    });
  });

  describe('identity', () => {
    it('is the ETag and size from a HEAD, changes when the file is rewritten, and is undefined when missing', async () => {
      // Prepare
      const { bucket, uri } = await root();
      const first = await put(bucket, 'recs/items.bin', bytes(100));
      const client = motoClient();
      const sent = recordSent(client);
      const source = sourceOf(uri, client);

      // Act
      const original = await source.identity('items.bin');
      const second = await put(bucket, 'recs/items.bin', bytes(100, 7));
      const rewritten = await source.identity('items.bin');
      const missing = await source.identity('none.bin');

      // Assess
      expect({ original, rewritten, missing, commands: [...new Set(sent.map((s) => s.command))] }).toEqual({
        original: `${first}:100`,
        rewritten: `${second}:100`,
        missing: undefined,
        commands: ['HeadObjectCommand'],
      });
      expect(first).not.toBe(second);
      client.destroy();
    });
  });
});

describe('Function: fetchVersion (S3 emulator)', () => {
  /** Reads one user's factors by ranged GET of its block, checking the block digest. */
  async function remoteFactors(source: ArtifactSource, fetched: FetchedVersion, id: string) {
    if (fetched.users.kind !== 'remote') throw new Error('expected remote users');
    const dir = fetched.view.users;
    const b = blockOf(dir, idHash(id));
    const block = await source.readRange(
      fetched.users.path,
      dir.offsets[b] as number,
      dir.offsets[b + 1] as number,
    );
    const [d0, d1] = blockDigest(block);
    if (d0 !== dir.digests[2 * b] || d1 !== dir.digests[2 * b + 1]) throw new Error('digest mismatch');
    const parsed = new UserBlock(block);
    return [...parsed.entry(parsed.find(id, idHash(id))).factors];
  }

  it('reads the version the pointer names: manifest, items in parts, users preloaded', async () => {
    // Prepare
    const encoded = artifact(1);
    const { uri } = await root(encoded);
    const client = motoClient();
    const sent = recordSent(client);
    const source = sourceOf(uri, client, { partSize: 1024, concurrency: 2 });
    const v = encoded.manifest.version;

    // Act
    const read = await source.readPointer();
    const fetched = await fetchVersion(source, pointerOf(read), false, everything);

    // Assess
    const users = fetched.users.kind === 'memory' ? fetched.users.bytes : new Uint8Array(0);
    const parts = (n: number) => Math.ceil(n / 1024);
    expect({
      version: fetched.version,
      manifest: fetched.manifest,
      answers: artifactById(fetched.view, users, model(1).userIds),
      keys: sent.map((s) => s.key),
    }).toEqual({
      version: v,
      manifest: encoded.manifest,
      answers: modelById(model(1)),
      keys: [
        'recs/latest.json',
        `recs/models/${v}/manifest.json`,
        ...Array.from({ length: parts(encoded.manifest.items.bytes) }, () => `recs/models/${v}/items.bin`),
        ...Array.from({ length: parts(encoded.manifest.users.bytes) }, () => `recs/models/${v}/users.bin`),
      ],
    });
    client.destroy();
  });

  it('leaves a large users.bin remote, checks its last byte, and serves users by ranged GET', async () => {
    // Prepare
    const encoded = artifact(2);
    const { uri } = await root(encoded);
    const client = motoClient();
    const sent = recordSent(client);
    const source = sourceOf(uri, client);
    const v = encoded.manifest.version;

    // Act
    const fetched = await fetchVersion(source, pointerFor(v), true, { ...everything, preloadUsersBytes: 0 });
    const atLoad = sent.filter((s) => s.key?.endsWith('users.bin')).map((s) => s.range);
    const factors = await Promise.all(
      model(2)
        .userIds.slice(0, 5)
        .map((id) => remoteFactors(source, fetched, id)),
    );

    // Assess
    const users = encoded.manifest.users.bytes;
    expect({ users: fetched.users, atLoad, factors }).toEqual({
      users: { kind: 'remote', path: `models/${v}/users.bin` },
      atLoad: [`bytes=${users - 1}-${users - 1}`],
      factors: model(2)
        .userIds.slice(0, 5)
        .map((id) => modelById(model(2)).users[id]!.factors),
    });
    client.destroy();
  });

  it('refuses a truncated or missing items.bin, naming the version and the file', async () => {
    // Prepare
    const encoded = artifact(1);
    const { bucket, uri } = await root(encoded);
    const v = encoded.manifest.version;
    const source = sourceOf(uri);

    // Act
    await put(bucket, `recs/models/${v}/items.bin`, encoded.files['items.bin']!.subarray(0, 64));
    const truncated = await outcome(() => fetchVersion(source, pointerFor(v), false, everything));
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: `recs/models/${v}/items.bin` }));
    const missing = await outcome(() => fetchVersion(source, pointerFor(v), false, everything));

    // Assess
    expect({ truncated, missing }).toEqual({
      truncated: {
        kind: 'ArtifactInvalidError',
        message: `Model version ${v} at ${uri} is invalid: models/${v}/items.bin is truncated: 64 of ${encoded.manifest.items.bytes} bytes`,
      },
      missing: {
        kind: 'ArtifactInvalidError',
        message: `Model version ${v} at ${uri} is invalid: models/${v}/items.bin is missing`,
      },
    });
  });

  it('refuses a corrupt items.bin naming the section, and a remote users.bin that is short', async () => {
    // Prepare
    const encoded = artifact(1);
    const { bucket, uri } = await root(encoded);
    const v = encoded.manifest.version;
    const items = new Uint8Array(encoded.files['items.bin']!);
    const popularity = encoded.manifest.items.sections.find((s) => s.name === 'popularity')!;
    items[popularity.offset] = (items[popularity.offset] as number) ^ 0x80;
    await put(bucket, `recs/models/${v}/items.bin`, items);
    const source = sourceOf(uri);

    // Act
    const corrupt = await outcome(() => fetchVersion(source, pointerFor(v), false, everything));
    await put(bucket, `recs/models/${v}/items.bin`, encoded.files['items.bin']!);
    await put(bucket, `recs/models/${v}/users.bin`, encoded.files['users.bin']!.subarray(0, 128));
    const shortUsers = await outcome(() =>
      fetchVersion(source, pointerFor(v), false, { ...everything, preloadUsersBytes: 0 }),
    );

    // Assess
    expect({ corrupt, shortUsers }).toEqual({
      corrupt: {
        kind: 'ArtifactInvalidError',
        message: expect.stringMatching(
          /is invalid: items\.bin sha256 mismatch: .* \(section popularity differs\)$/,
        ),
      },
      shortUsers: {
        kind: 'ArtifactInvalidError',
        message: `Model version ${v} at ${uri} is invalid: models/${v}/users.bin is shorter than byte ${encoded.manifest.users.bytes}`,
      },
    });
  });

  it('converts a format-1 version published to S3', async () => {
    // Prepare
    const m = tinyModel({ seed: 8, users: 20, videos: 10 });
    const v1 = encodeV1Model(m, {
      params: { factors: 4, regularization: 0.01, alpha: 1, iterations: 1, cgSteps: 3, threads: 1, seed: 1 },
      datasetDigest: 'v1',
      createdAt: new Date('2024-01-01T00:00:00Z'),
    });
    const { bucket, uri } = await root();
    for (const [path, body] of Object.entries(v1Files(v1))) await put(bucket, `recs/${path}`, body);
    const source = sourceOf(uri);

    // Act
    const read = await source.readPointer();
    const fetched = await fetchVersion(source, pointerOf(read), false, everything);

    // Assess
    const users = fetched.users.kind === 'memory' ? fetched.users.bytes : new Uint8Array(0);
    expect({
      version: fetched.version,
      convertedFrom: fetched.convertedFrom,
      answers: artifactById(fetched.view, users, m.userIds),
    }).toEqual({
      version: v1.manifest.version,
      convertedFrom: 1,
      answers: modelById(m),
    });
  });
});

describe('S3 faults (SDK mock in front of the emulator)', () => {
  /** A client whose GETs go to the emulator unless `fault` throws first for that input. */
  function faulty(fault: (input: GetObjectCommandInput, call: number) => Error | undefined): {
    client: S3Client;
    calls: GetObjectCommandInput[];
    restore(): void;
  } {
    const client = new S3Client({ forcePathStyle: true, maxAttempts: 1 });
    const calls: GetObjectCommandInput[] = [];
    const mock = mockClient(client);
    mock.on(GetObjectCommand).callsFake(async (input: GetObjectCommandInput) => {
      calls.push(input);
      const error = fault(input, calls.length);
      if (error) throw error;
      return s3.send(new GetObjectCommand(input));
    });
    mock.on(HeadObjectCommand).callsFake(async (input) => s3.send(new HeadObjectCommand(input)));
    return { client, calls, restore: () => mock.restore() };
  }

  it('retries a throttled items part (SlowDown 503) and still loads the version', async () => {
    // Prepare
    const encoded = artifact(3);
    const { uri } = await root(encoded);
    let thrown = 0;
    const { client, calls, restore } = faulty((input) => {
      if (input.Key?.endsWith('items.bin') && input.Range?.startsWith('bytes=1024-') && thrown++ === 0) {
        return s3Error('SlowDown', 503);
      }
      return undefined;
    });
    const source = sourceOf(uri, client, { partSize: 1024, concurrency: 2 });

    // Act
    const fetched = await fetchVersion(source, pointerFor(encoded.manifest.version), true, everything);

    // Assess
    const itemGets = calls.filter((c) => c.Key?.endsWith('items.bin')).map((c) => c.Range);
    const parts = Math.ceil(encoded.manifest.items.bytes / 1024);
    expect({
      version: fetched.version,
      items: Buffer.from(fetched.items).equals(Buffer.from(encoded.files['items.bin']!)),
      itemGets: itemGets.length,
      retried: itemGets.filter((r) => r?.startsWith('bytes=1024-')).length,
    }).toEqual({ version: encoded.manifest.version, items: true, itemGets: parts + 1, retried: 2 });
    restore();
  });

  it('retries a throttled pointer poll (ThrottlingException) and answers it', async () => {
    // Prepare
    const encoded = artifact(1);
    const { uri } = await root(encoded);
    const { client, calls, restore } = faulty((_input, call) =>
      call === 1 ? s3Error('ThrottlingException', 400) : undefined,
    );

    // Act
    const read = await sourceOf(uri, client).readPointer();

    // Assess
    expect({ pointer: read.changed && read.pointer, calls: calls.length }).toEqual({
      pointer: pointerFor(encoded.manifest.version),
      calls: 2,
    });
    restore();
  });

  it('gives up on a block read that keeps timing out after the retry policy, as unreachable not invalid', async () => {
    // Prepare
    const encoded = artifact(1);
    const { uri } = await root(encoded);
    const v = encoded.manifest.version;
    const { client, calls, restore } = faulty((input) =>
      input.Range ? Object.assign(s3Error('TimeoutError', undefined), { code: 'ETIMEDOUT' }) : undefined,
    );
    const source = sourceOf(uri, client);

    // Act
    const result = await outcome(() => source.readRange(`models/${v}/users.bin`, 0, 64));

    // Assess
    expect({ result, calls: calls.length }).toEqual({
      result: {
        kind: 'ModelNotLoadedError',
        message: `Cannot read ${uri}/models/${v}/users.bin: ETIMEDOUT TimeoutError (injected)`,
      },
      calls: RETRY.attempts,
    });
    restore();
  });

  it('fails a whole-file read only once the parts still in flight have finished writing into the target', async () => {
    // Prepare: part 1 times out for good while part 2 is still on its way
    const { bucket, uri } = await root();
    await put(bucket, 'recs/items.bin', bytes(3072));
    const client = new S3Client({ forcePathStyle: true, maxAttempts: 1 });
    const mock = mockClient(client);
    mock.on(GetObjectCommand).callsFake(async (input: GetObjectCommandInput) => {
      if (input.Range === 'bytes=1024-2047') throw s3Error('TimeoutError', undefined);
      if (input.Range === 'bytes=2048-3071') for (let i = 0; i < 5; i++) await new Promise(setImmediate);
      return s3.send(new GetObjectCommand(input));
    });
    const source = s3Source(
      parseModelUri(uri) as Extract<ModelLocation, { kind: 's3' }>,
      client,
      { ...RETRY, attempts: 1 },
      { partSize: 1024, concurrency: 2 },
    );
    const target = new Uint8Array(3072);

    // Act
    const atFailure = await source.readInto('items.bin', target).then(
      () => 'accepted',
      (error: Error) => ({ error: error.message, lastPart: Buffer.from(target.subarray(2048)) }),
    );

    // Assess
    expect(atFailure).toEqual({
      error: `Cannot read ${uri}/items.bin: TimeoutError (injected)`,
      lastPart: Buffer.from(bytes(3072).subarray(2048)),
    });
    mock.restore();
  });

  it('fails with a clear error when S3 is unreachable, after the retry policy', async () => {
    // Prepare: a real connection refused on a free port
    const port = await freePort();
    const down = new S3Client({ endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true, maxAttempts: 1 });
    const sent = recordSent(down);

    // Act
    const failure = await sourceOf('s3://models/recs', down)
      .readPointer()
      .catch((error: unknown) => error);

    // Assess
    expect({
      kind: failure instanceof ModelNotLoadedError,
      message: (failure as Error).message,
      attempts: sent.length,
    }).toEqual({
      kind: true,
      message: expect.stringMatching(/^Cannot read s3:\/\/models\/recs\/latest\.json: .*ECONNREFUSED/),
      attempts: RETRY.attempts,
    });
    down.destroy();
  });
});

import { createHash } from 'node:crypto';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type PutObjectCommandInput,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EncodedArtifact } from '../../src/artifact/encode.js';
import { type Pointer, pointerFor } from '../../src/artifact/format.js';
import { type ModelLocation, parseModelUri } from '../../src/store/location.js';
import { publishModel } from '../../src/store/publish.js';
import { s3Source } from '../../src/store/s3-source.js';
import type { ArtifactSource } from '../../src/store/source.js';
import { type FetchOptions, fetchVersion } from '../../src/store/version.js';
import { type Moto, startMoto } from '../helpers/moto.js';
import { artifactById, modelById } from '../helpers/read-back.js';
import { motoClient, recordCalls } from '../helpers/s3-spy.js';
import { type TinyModelOptions, tinyArtifact, tinyModel } from '../helpers/tiny-model.js';

const MiB = 1024 * 1024;
const RETRY = { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 };
const everything: FetchOptions = {
  allocateItems: (bytes) => new Uint8Array(bytes),
  preloadUsersBytes: 1 << 30,
};

function artifact(options: TinyModelOptions): EncodedArtifact {
  return tinyArtifact({ ...options, metrics: { note: 'integration' } });
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

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

async function newBucket(): Promise<string> {
  const bucket = `publish-${++buckets}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

async function object(bucket: string, key: string) {
  const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return {
    text: await response.Body?.transformToString(),
    contentType: response.ContentType,
    cacheControl: response.CacheControl,
  };
}

function sourceOf(uri: string, client: S3Client = s3, partSize = 8 * MiB): ArtifactSource {
  return s3Source(parseModelUri(uri) as Extract<ModelLocation, { kind: 's3' }>, client, RETRY, {
    partSize,
    concurrency: 3,
  });
}

async function latest(source: ArtifactSource): Promise<Pointer> {
  const read = await source.readPointer();
  if (!read.changed || read.pointer === undefined) throw new Error('expected a pointer');
  return read.pointer;
}

describe('Function: publishModel (S3 emulator)', () => {
  it('publishes a version with its report, pointer last, and fetchVersion reads back the same model', async () => {
    // Prepare
    const bucket = await newBucket();
    const options: TinyModelOptions = { seed: 1, users: 50, videos: 20 };
    const encoded = artifact(options);
    const v = encoded.manifest.version;
    const client = motoClient();
    const calls = recordCalls(client);

    // Act
    const result = await publishModel(
      `s3://${bucket}/recs`,
      encoded,
      { 'report.html': '<html>report</html>' },
      { s3: client },
    );
    const source = sourceOf(`s3://${bucket}/recs`);
    const fetched = await fetchVersion(source, await latest(source), false, everything);

    // Assess
    const users = fetched.users.kind === 'memory' ? fetched.users.bytes : new Uint8Array(0);
    expect({
      result,
      order: calls.map((c) => c.key),
      pointer: await object(bucket, 'recs/latest.json'),
      report: await object(bucket, `recs/models/${v}/report.html`),
      manifest: fetched.manifest,
      items: sha256(fetched.items),
      users: sha256(users),
      answers: artifactById(fetched.view, users, tinyModel(options).userIds),
    }).toEqual({
      result: {
        version: v,
        uri: `s3://${bucket}/recs`,
        manifestUri: `s3://${bucket}/recs/models/${v}/manifest.json`,
      },
      order: [
        `recs/models/${v}/items.bin`,
        `recs/models/${v}/users.bin`,
        `recs/models/${v}/report.html`,
        `recs/models/${v}/manifest.json`,
        'recs/latest.json',
      ],
      pointer: {
        text: `${JSON.stringify(pointerFor(v), null, 2)}\n`,
        contentType: 'application/json',
        cacheControl: 'no-cache, max-age=0',
      },
      report: {
        text: '<html>report</html>',
        contentType: 'text/html; charset=utf-8',
        cacheControl: undefined,
      },
      manifest: encoded.manifest,
      items: encoded.manifest.items.sha256,
      users: encoded.manifest.users.sha256,
      answers: modelById(tinyModel(options)),
    });
    client.destroy();
  });

  it('uploads an items.bin above the part size as a multipart upload and reads it back in ranged parts', async () => {
    // Prepare: 24,000 videos x 64 factors is about 6 MiB of item factors
    const bucket = await newBucket();
    const options: TinyModelOptions = {
      seed: 5,
      users: 10,
      videos: 24_000,
      factors: 64,
      density: 0,
      metadata: false,
    };
    const encoded = artifact(options);
    const client = motoClient();
    const calls = recordCalls(client);
    const itemsKey = `big/models/${encoded.manifest.version}/items.bin`;

    // Act
    await publishModel(`s3://${bucket}/big`, encoded, {}, { s3: client, partSize: 5 * MiB });
    const source = sourceOf(`s3://${bucket}/big`, client, 2 * MiB);
    const fetched = await fetchVersion(source, await latest(source), false, everything);

    // Assess
    const users = fetched.users.kind === 'memory' ? fetched.users.bytes : new Uint8Array(0);
    const someUsers = tinyModel(options).userIds;
    const expected = modelById(tinyModel(options));
    expect({
      above: encoded.manifest.items.bytes > 5 * MiB,
      uploads: calls
        .filter((c) => c.key === itemsKey && c.command !== 'GetObjectCommand')
        .map((c) => c.command),
      rangedGets: calls.filter((c) => c.key === itemsKey && c.command === 'GetObjectCommand').length,
      items: sha256(fetched.items),
      users: artifactById(fetched.view, users, someUsers).users,
      video: fetched.view.itemFactors.subarray(64 * 23_999, 64 * 24_000).join(),
    }).toEqual({
      above: true,
      uploads: [
        'CreateMultipartUploadCommand',
        'UploadPartCommand',
        'UploadPartCommand',
        'CompleteMultipartUploadCommand',
      ],
      rangedGets: Math.ceil(encoded.manifest.items.bytes / (2 * MiB)),
      items: encoded.manifest.items.sha256,
      users: expected.users,
      video: expected.videos[fetched.view.videoIds.idAt(23_999)]!.factors.join(),
    });
    client.destroy();
  });

  it('never moves the pointer when a version file times out, and the old version keeps loading', async () => {
    // Prepare
    const bucket = await newBucket();
    const first = artifact({ seed: 1 });
    await publishModel(`s3://${bucket}/recs`, first, {}, { s3 });
    const failing = new S3Client({ forcePathStyle: true, maxAttempts: 1 });
    const mock = mockClient(failing);
    mock.on(PutObjectCommand).callsFake(async (input: PutObjectCommandInput) => {
      if (input.Key?.endsWith('/manifest.json')) {
        throw Object.assign(new Error('Connection timed out after 5000 ms'), { name: 'TimeoutError' });
      }
      return s3.send(new PutObjectCommand(input));
    });
    mock.on(HeadObjectCommand).callsFake(async (input) => s3.send(new HeadObjectCommand(input)));
    const second = artifact({ seed: 2 });

    // Act
    const failure = await publishModel(`s3://${bucket}/recs`, second, {}, { s3: failing }).catch(
      (error: Error) => error.message,
    );
    const source = sourceOf(`s3://${bucket}/recs`);
    const pointer = await latest(source);
    const fetched = await fetchVersion(source, pointer, false, everything);

    // Assess
    expect({ failure, pointer, served: fetched.version }).toEqual({
      failure: 'Connection timed out after 5000 ms',
      pointer: pointerFor(first.manifest.version),
      served: first.manifest.version,
    });
    mock.restore();
  });

  it('publishes at the bucket root when the URI has no prefix', async () => {
    // Prepare
    const bucket = await newBucket();
    const encoded = artifact({ seed: 3 });

    // Act
    const result = await publishModel(`s3://${bucket}`, encoded, {}, { s3 });
    const source = sourceOf(`s3://${bucket}`);
    const fetched = await fetchVersion(source, await latest(source), false, everything);

    // Assess
    expect({
      uri: result.uri,
      pointer: (await object(bucket, 'latest.json')).text,
      version: fetched.version,
    }).toEqual({
      uri: `s3://${bucket}`,
      pointer: `${JSON.stringify(pointerFor(encoded.manifest.version), null, 2)}\n`,
      version: encoded.manifest.version,
    });
  });
});

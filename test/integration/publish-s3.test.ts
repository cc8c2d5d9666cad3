import { CreateBucketCommand, GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EncodedArtifact } from '../../src/artifact/encode.js';
import { createModelStore } from '../../src/store/model-store.js';
import { publishModel } from '../../src/store/publish.js';
import { type Moto, startMoto } from '../helpers/moto.js';
import { injectFault, motoClient, recordCalls } from '../helpers/s3-spy.js';
import { fingerprint, type TinyModelOptions, tinyArtifact, tinyModel } from '../helpers/tiny-model.js';

const MiB = 1024 * 1024;

function artifact(options: TinyModelOptions): EncodedArtifact {
  return tinyArtifact({ ...options, metrics: { note: 'integration' } });
}

async function text(s3: S3Client, bucket: string, key: string): Promise<string | undefined> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return object.Body?.transformToString();
}

let moto: Moto;
let s3: S3Client;
let bucketCount = 0;

async function newBucket(): Promise<string> {
  const bucket = `publish-${++bucketCount}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

beforeAll(async () => {
  moto = await startMoto();
  s3 = motoClient();
});
afterAll(async () => {
  s3.destroy();
  await moto.stop();
});

describe('Function: publishModel (S3 emulator)', () => {
  it('publishes a version with its report and reads back the same model', async () => {
    const bucket = await newBucket();
    const encoded = artifact({ seed: 1 });
    const version = encoded.manifest.version;
    const result = await publishModel(
      `s3://${bucket}/recs`,
      encoded,
      { 'report.html': '<html>report</html>' },
      { s3 },
    );
    const store = createModelStore({ uri: `s3://${bucket}/recs`, s3, prepare: (m) => m });
    const loaded = await store.load();
    expect({
      result,
      pointer: JSON.parse((await text(s3, bucket, 'recs/latest.json')) ?? ''),
      report: await text(s3, bucket, `recs/models/${version}/report.html`),
      loaded,
    }).toEqual({
      result: {
        version,
        uri: `s3://${bucket}/recs`,
        manifestUri: `s3://${bucket}/recs/models/${version}/manifest.json`,
      },
      pointer: { version, manifest: `models/${version}/manifest.json` },
      report: '<html>report</html>',
      loaded: { version, manifest: encoded.manifest, model: tinyModel({ seed: 1 }) },
    });
  });

  it('uploads a bundle above the part size as a multipart upload and reads it back in ranged parts', async () => {
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
    await publishModel(`s3://${bucket}/big`, encoded, {}, { s3: client, partSize: 5 * MiB });
    const store = createModelStore({
      uri: `s3://${bucket}/big`,
      s3: client,
      ranged: { partSize: 2 * MiB, concurrency: 3 },
      prepare: (m) => m,
    });
    const loaded = await store.load();
    const bundleKey = `big/models/${encoded.manifest.version}/model.bin`;
    const parts = Math.ceil(encoded.bundle.byteLength / (2 * MiB));
    expect({
      bytes: encoded.bundle.byteLength > 5 * MiB,
      uploads: calls
        .filter((c) => c.key === bundleKey && c.command !== 'GetObjectCommand')
        .map((c) => c.command),
      rangedGets: calls.filter((c) => c.key === bundleKey && c.command === 'GetObjectCommand').length,
      model: fingerprint(loaded.model),
    }).toEqual({
      bytes: true,
      uploads: [
        'CreateMultipartUploadCommand',
        'UploadPartCommand',
        'UploadPartCommand',
        'CompleteMultipartUploadCommand',
      ],
      rangedGets: parts,
      model: fingerprint(tinyModel(options)),
    });
    client.destroy();
  });

  it('never moves the pointer when a version file fails to upload', async () => {
    const bucket = await newBucket();
    const first = artifact({ seed: 1 });
    await publishModel(`s3://${bucket}/recs`, first, {}, { s3 });
    const failing = motoClient({ maxAttempts: 1 });
    injectFault(
      failing,
      (command, input) => command === 'PutObjectCommand' && String(input.Key).endsWith('/manifest.json'),
      {
        name: 'InternalError',
        status: 500,
      },
    );
    const second = artifact({ seed: 2 });
    await expect(publishModel(`s3://${bucket}/recs`, second, {}, { s3: failing })).rejects.toThrow(
      'injected InternalError',
    );
    const store = createModelStore({ uri: `s3://${bucket}/recs`, s3, prepare: (m) => m.version });
    expect({
      pointer: JSON.parse((await text(s3, bucket, 'recs/latest.json')) ?? ''),
      served: await store.load(),
    }).toEqual({
      pointer: {
        version: first.manifest.version,
        manifest: `models/${first.manifest.version}/manifest.json`,
      },
      served: first.manifest.version,
    });
    failing.destroy();
  });
});

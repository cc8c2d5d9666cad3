import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { EncodedArtifact } from '../../src/artifact/encode.js';
import { ArtifactInvalidError, ModelNotLoadedError } from '../../src/core/errors.js';
import { type ModelLocation, parseModelUri } from '../../src/store/location.js';
import { createModelStore } from '../../src/store/model-store.js';
import { publishModel } from '../../src/store/publish.js';
import { DEFAULT_RETRY } from '../../src/store/retry.js';
import { s3Source } from '../../src/store/s3-source.js';
import { freePort, type Moto, startMoto } from '../helpers/moto.js';
import { injectFault, motoClient, recordCalls } from '../helpers/s3-spy.js';
import { tinyArtifact, tinyModel } from '../helpers/tiny-model.js';

function artifact(seed: number): EncodedArtifact {
  return tinyArtifact({ seed });
}

let moto: Moto;
let s3: S3Client;
let bucketCount = 0;

/** A fresh bucket with `seeds` published in order; returns the root URI. */
async function root(...seeds: number[]): Promise<string> {
  const bucket = `store-${++bucketCount}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const uri = `s3://${bucket}/recs`;
  for (const seed of seeds) await publishModel(uri, artifact(seed), {}, { s3 });
  return uri;
}

beforeAll(async () => {
  moto = await startMoto();
  s3 = motoClient();
});
afterAll(async () => {
  s3.destroy();
  await moto.stop();
});

describe('Function: s3Source', () => {
  it('answers an unchanged pointer from a conditional GET (304) and a moved one with its content', async () => {
    const uri = await root(1);
    const source = s3Source(parseModelUri(uri) as Extract<ModelLocation, { kind: 's3' }>, s3, DEFAULT_RETRY);
    const first = await source.readPointer();
    const tag = first.changed ? first.tag : undefined;
    const again = await source.readPointer(tag);
    await publishModel(uri, artifact(2), {}, { s3 });
    const moved = await source.readPointer(tag);
    const version = artifact(2).manifest.version;
    expect({ tag: typeof tag, again, moved: moved.changed && moved.pointer }).toEqual({
      tag: 'string',
      again: { changed: false },
      moved: { version, manifest: `models/${version}/manifest.json` },
    });
  });
});

describe('Function: createModelStore (S3 emulator)', () => {
  it('shares one load between concurrent first callers: one pointer, one manifest and one bundle GET', async () => {
    const uri = await root(1);
    const client = motoClient();
    const calls = recordCalls(client);
    const store = createModelStore({ uri, s3: client, prepare: (m) => ({ version: m.version }) });
    const results = await Promise.all(Array.from({ length: 10 }, () => store.load()));
    const version = artifact(1).manifest.version;
    expect({
      same: results.every((r) => r === results[0]),
      keys: calls.map((c) => `${c.command} ${c.key}`),
    }).toEqual({
      same: true,
      keys: [
        'GetObjectCommand recs/latest.json',
        `GetObjectCommand recs/models/${version}/manifest.json`,
        `GetObjectCommand recs/models/${version}/model.bin`,
      ],
    });
    client.destroy();
  });

  it('loads a pinned version while the pointer names a newer one', async () => {
    const uri = await root(1, 2);
    const pinned = artifact(1).manifest.version;
    const store = createModelStore({ uri, s3, version: pinned, prepare: (m) => m });
    const loaded = await store.load();
    expect({ version: loaded.version, model: loaded.model }).toEqual({
      version: pinned,
      model: tinyModel({ seed: 1 }),
    });
  });

  it('swaps to the new version when the pointer moves mid-run, polling with a conditional GET', async () => {
    const uri = await root(1);
    const client = motoClient();
    const calls = recordCalls(client);
    const store = createModelStore({ uri, s3: client, refreshSeconds: 0.05, prepare: (m) => m.version });
    await store.load();
    const unchanged = await store.refreshNow();
    const afterPoll = calls.length;
    store.startRefresh();
    await publishModel(uri, artifact(2), {}, { s3 });
    await vi.waitFor(() => expect(store.version()).toBe(artifact(2).manifest.version), {
      timeout: 10_000,
      interval: 20,
    });
    store.stop();
    expect({
      unchanged,
      polled: calls.slice(3, afterPoll).map((c) => c.key),
      current: store.current(),
    }).toEqual({
      unchanged: false,
      polled: ['recs/latest.json'],
      current: artifact(2).manifest.version,
    });
    client.destroy();
  });

  it('refuses a corrupt bundle published as a new version and keeps serving the old model', async () => {
    const uri = await root(1);
    const log: Record<string, unknown>[] = [];
    const store = createModelStore({ uri, s3, prepare: (m) => m.version, log: (e) => log.push(e) });
    await store.load();
    const good = artifact(2);
    const corrupt = new Uint8Array(good.bundle);
    corrupt[corrupt.length - 100] = (corrupt[corrupt.length - 100]! + 1) % 256;
    await publishModel(uri, { manifest: good.manifest, bundle: corrupt }, {}, { s3 });

    const swapped = await store.refreshNow();
    const retried = await store.refreshNow();
    expect({
      swapped,
      retried,
      serving: store.current(),
      error: store.lastError(),
      events: log.map((e) => e.event),
    }).toEqual({
      swapped: false,
      retried: false,
      serving: artifact(1).manifest.version,
      error: expect.any(ArtifactInvalidError),
      events: ['model_loaded', 'model_refresh_failed'],
    });
    expect(store.lastError()?.message).toMatch(
      new RegExp(
        `^Model version ${good.manifest.version} at ${uri} is invalid: model\\.bin section \\w+ sha256 mismatch`,
      ),
    );
  });

  it('fails fast with a clear error when S3 is unavailable at start', async () => {
    const port = await freePort();
    const down = new S3Client({ endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true, maxAttempts: 1 });
    const calls = recordCalls(down);
    const store = createModelStore({
      uri: 's3://models/recs',
      s3: down,
      retry: { attempts: 2, baseDelayMs: 10 },
      prepare: (m) => m,
    });
    const failure = await store.load().catch((error: unknown) => error);
    expect({
      kind: failure instanceof ModelNotLoadedError,
      message: (failure as Error).message,
      attempts: calls.length,
      current: store.current(),
    }).toEqual({
      kind: true,
      message: expect.stringMatching(/^Cannot read s3:\/\/models\/recs\/latest\.json: .*ECONNREFUSED/),
      attempts: 2,
      current: undefined,
    });
    down.destroy();
  });

  it('retries a throttled bundle part and still loads', async () => {
    const uri = await root(3);
    const client = motoClient({ maxAttempts: 1 });
    const calls = recordCalls(client);
    injectFault(
      client,
      (command, input) => command === 'GetObjectCommand' && String(input.Key).endsWith('model.bin'),
      {
        name: 'SlowDown',
        status: 503,
        times: 1,
      },
    );
    const store = createModelStore({
      uri,
      s3: client,
      retry: { attempts: 3, baseDelayMs: 5 },
      prepare: (m) => m,
    });
    const loaded = await store.load();
    expect({
      model: loaded.model,
      bundleGets: calls.filter((c) => c.key?.endsWith('model.bin')).length,
    }).toEqual({ model: tinyModel({ seed: 3 }), bundleGets: 2 });
    client.destroy();
  });

  it('reports a missing pointer as no model published', async () => {
    const uri = await root();
    const store = createModelStore({ uri, s3, prepare: (m) => m });
    await expect(store.load()).rejects.toThrow(
      new ModelNotLoadedError(`No model published at ${uri}: latest.json not found`),
    );
  });

  it('refuses a bundle shorter than its manifest says', async () => {
    const uri = await root(1);
    const version = artifact(1).manifest.version;
    const bucket = uri.slice('s3://'.length, uri.indexOf('/recs'));
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `recs/models/${version}/model.bin`,
        Body: artifact(1).bundle.subarray(0, 64),
      }),
    );
    const store = createModelStore({ uri, s3, prepare: (m) => m });
    await expect(store.load()).rejects.toThrow(
      new ArtifactInvalidError(
        `Model version ${version} at ${uri} is invalid: models/${version}/model.bin is truncated: 64 of ${artifact(1).bundle.byteLength} bytes`,
      ),
    );
  });
});

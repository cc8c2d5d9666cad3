import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeModel } from '../../src/artifact/index.js';
import { ConfigInvalidError } from '../../src/core/errors.js';
import { handleFromArtifact, openModel } from '../../src/serving/index.js';
import { publishModel } from '../../src/store/publish.js';
import { exportRecommendations } from '../../training/export.js';
import { clusteredModel } from '../helpers/clustered-model.js';
import { FIXTURE_PARAMS } from '../helpers/fixture-model.js';
import { type Moto, startMoto } from '../helpers/moto.js';
import { readParquetRows } from '../helpers/parquet.js';
import { motoClient, recordCalls } from '../helpers/s3-spy.js';

const MiB = 1024 * 1024;
let moto: Moto;
let s3: S3Client;
// 4,000 users x k = 50 is about 8 MiB of JSON Lines: two parts of 5 MiB (S3's smallest) and a last one.
const model = clusteredModel({ items: 300, users: 4000, factors: 8, groups: 10, seed: 11 });
const artifact = encodeModel(model, { params: { ...FIXTURE_PARAMS, factors: 8 }, datasetDigest: 'export' });
const oracle = openModel(handleFromArtifact(artifact), {
  slot: 0,
  scoring: {},
  userCacheBytes: 1 << 24,
  sourceFor: () => {
    throw new Error('memory');
  },
});

beforeAll(async () => {
  moto = await startMoto();
  s3 = motoClient();
  for (const bucket of ['models', 'exports']) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await publishModel('s3://models/rec', artifact, {}, { s3 });
});
afterAll(async () => {
  s3.destroy();
  await moto.stop();
});

describe('Function: exportRecommendations (S3 emulator)', () => {
  it('streams every user from the model in S3 to a multipart upload, one line per user', async () => {
    // Prepare
    const client = motoClient();
    const calls = recordCalls(client);

    // Act
    const result = await exportRecommendations({
      model: 's3://models/rec',
      destination: 's3://exports/recs/',
      k: 50,
      forcePathStyle: true,
      output: { s3: client, partSize: 5 * MiB },
    });

    // Assess
    const key = `recs/recommendations-${artifact.manifest.version}-k50.jsonl`;
    expect(result).toMatchObject({ uri: `s3://exports/${key}`, users: 4000 });
    const object = await s3.send(new GetObjectCommand({ Bucket: 'exports', Key: key }));
    const lines = ((await object.Body?.transformToString()) ?? '').trimEnd().split('\n');
    expect(object.ContentType).toBe('application/jsonlines');
    expect(lines).toHaveLength(4000);
    expect(result.bytes).toBeGreaterThan(5 * MiB);
    const commands = calls.map((c) => c.command);
    expect(commands.filter((c) => c === 'UploadPartCommand').length).toBeGreaterThanOrEqual(2);
    expect(commands).toContain('CompleteMultipartUploadCommand');
    for (const line of lines.filter((_, i) => i % 400 === 0)) {
      const parsed = JSON.parse(line) as { userId: string; recommendations: unknown[] };
      expect(parsed.recommendations).toEqual((await oracle.recommendForUser(parsed.userId, { k: 50 })).items);
    }
    expect(new Set(lines.map((l) => (JSON.parse(l) as { userId: string }).userId)).size).toBe(4000);
  });

  it('leaves no object and no pending upload when a part fails', async () => {
    // Prepare: the second part upload fails (fault injection in front of the emulator).
    const client = motoClient({ maxAttempts: 1 });
    let parts = 0;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'UploadPartCommand' && ++parts === 2)
          throw new Error('injected part failure');
        return next(args);
      },
      { step: 'initialize', name: 'failSecondPart' },
    );

    // Act
    const failure = await exportRecommendations({
      model: 's3://models/rec',
      destination: 's3://exports/broken',
      k: 50,
      forcePathStyle: true,
      output: { s3: client, partSize: 5 * MiB },
    }).catch((error: unknown) => error);

    // Assess
    expect(String(failure)).toContain('injected part failure');
    const key = `broken/recommendations-${artifact.manifest.version}-k50.jsonl`;
    await expect(s3.send(new HeadObjectCommand({ Bucket: 'exports', Key: key }))).rejects.toThrow();
    const pending = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'exports', Prefix: 'broken/' }));
    expect(pending.Uploads ?? []).toEqual([]);
  });

  it('writes a Parquet data set of bounded parts to S3, _SUCCESS last, equal to the JSON Lines export', async () => {
    // Prepare
    const client = motoClient();
    const calls = recordCalls(client);
    const options = {
      model: 's3://models/rec',
      destination: 's3://exports/parquet/',
      k: 50,
      forcePathStyle: true,
      output: { s3: client, partSize: 5 * MiB },
    };
    const jsonl = await exportRecommendations(options);
    calls.length = 0;

    // Act
    const result = await exportRecommendations({ ...options, format: 'parquet', partUsers: 1500 });

    // Assess
    const prefix = `parquet/recommendations-${artifact.manifest.version}-k50`;
    expect(result).toMatchObject({ uri: `s3://exports/${prefix}`, users: 4000, rows: 200_000, parts: 3 });
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'exports', Prefix: `${prefix}/` }));
    const keys = (listed.Contents ?? []).map((o) => o.Key);
    expect(keys).toEqual(
      ['_SUCCESS', 'part-00000.parquet', 'part-00001.parquet', 'part-00002.parquet'].map(
        (n) => `${prefix}/${n}`,
      ),
    );
    const writes = calls.filter(
      (c) => c.command === 'PutObjectCommand' || c.command === 'CompleteMultipartUploadCommand',
    );
    expect(writes.at(-1)?.key).toBe(`${prefix}/_SUCCESS`);
    // Each part (well under the 5 MiB part size) is one PutObject, no multipart upload.
    expect(writes.map((c) => c.command)).toEqual(Array(4).fill('PutObjectCommand'));
    const rows: Record<string, unknown>[] = [];
    for (const key of keys.slice(1)) {
      const object = await s3.send(new GetObjectCommand({ Bucket: 'exports', Key: key }));
      expect(object.ContentType).toBe('application/vnd.apache.parquet');
      rows.push(...(await readParquetRows((await object.Body?.transformToByteArray()) ?? new Uint8Array())));
    }
    const text = await (
      await s3.send(new GetObjectCommand({ Bucket: 'exports', Key: jsonl.uri.slice('s3://exports/'.length) }))
    ).Body?.transformToString();
    const expected = (text ?? '')
      .trimEnd()
      .split('\n')
      .flatMap((line) => {
        const parsed = JSON.parse(line) as {
          userId: string;
          recommendations: { videoId: string; score: number }[];
        };
        return parsed.recommendations.map((r, i) => ({
          user_id: parsed.userId,
          rank: i + 1,
          video_id: r.videoId,
          score: r.score,
        }));
      });
    expect(rows).toHaveLength(200_000);
    expect(rows).toEqual(expected);
  });

  it('refuses an S3 prefix that already holds a data set', async () => {
    // Prepare
    const options = {
      model: 's3://models/rec',
      destination: 's3://exports/again',
      k: 2,
      format: 'parquet' as const,
      forcePathStyle: true,
      output: { s3: motoClient() },
    };
    await exportRecommendations(options);

    // Act
    const failure = await exportRecommendations(options).catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(ConfigInvalidError);
    expect(String(failure)).toContain(
      `s3://exports/again/recommendations-${artifact.manifest.version}-k2 already holds files`,
    );
  });
});

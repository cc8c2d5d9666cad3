import { gzipSync } from 'node:zlib';
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputInvalidError } from '../../src/core/errors.js';
import { listObjects, readObjectRange, streamObject } from '../../src/store/objects.js';
import { formatBadRows } from '../../training/bad-rows.js';
import { listInputParts } from '../../training/input-parts.js';
import { readEvents } from '../../training/read-events.js';
import { readVideos } from '../../training/read-videos.js';
import { type Moto, startMoto } from '../helpers/moto.js';
import { parquetBytes } from '../helpers/parquet.js';
import { motoClient, recordCalls } from '../helpers/s3-spy.js';

let moto: Moto;
let s3: S3Client;

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

async function put(key: string, body: string | Uint8Array): Promise<void> {
  // An explicit length: the SDK warns about a body of unknown length for empty markers.
  const length = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  await s3.send(new PutObjectCommand({ Bucket: 'lake', Key: key, Body: body, ContentLength: length }));
}

const header = 'userId,videoId,interactionType,interactionValue,timestamp\n';

beforeAll(async () => {
  moto = await startMoto();
  s3 = motoClient();
  await s3.send(new CreateBucketCommand({ Bucket: 'lake' }));
  await put(
    'events/dt=2026-11-30/part-00000-a.snappy.parquet',
    parquetBytes({
      rowGroupSize: 2,
      columns: [
        { name: 'userId', data: ['u1', 'u2', 'u1'], type: 'STRING' },
        { name: 'videoId', data: ['v1', 'v1', 'v2'], type: 'STRING' },
        { name: 'interactionType', data: ['watch', 'like', 'watch'], type: 'STRING' },
        { name: 'interactionValue', data: [1, 2, 1], type: 'DOUBLE' },
      ],
    }),
  );
  await put(
    'events/dt=2026-12-01/part-00000-b.csv.gz',
    gzipSync(`${header}u3,v2,watch,1,2026-12-01\nu4,,watch,1,2026-12-01\n`),
  );
  await put('events/dt=2026-12-01/', '');
  await put('events/_SUCCESS', '');
  await put('events-old/part-0.csv', `${header}x,y,watch,1,2020-01-01\n`);
  await put('videos.csv', 'videoId,title\nv1,One\nv2,Two\n');
});
afterAll(async () => {
  s3.destroy();
  await moto.stop();
});

describe('Function: readEvents on an s3:// prefix', () => {
  it('reads Parquet and CSV.gz parts under Hive partitions, skipping markers and sibling prefixes', async () => {
    // Prepare
    const uri = 's3://lake/events/';
    const layout = {
      delimiter: ',',
      header: true,
      user: 'userId',
      video: 'videoId',
      type: 'interactionType',
      value: 'interactionValue',
      timestamp: 'dt',
    };

    // Act
    const read = await readEvents(uri, { layout, s3Client: s3, maxBadFraction: 0.5 });

    // Assess
    expect({
      parts: read.parts,
      userIds: read.userIds,
      videoIds: read.videoIds,
      value: Array.from(read.value),
      timestamp: Array.from(read.timestamp),
      report: formatBadRows(uri, read.bad),
    }).toEqual({
      parts: 2,
      userIds: ['u1', 'u2', 'u3'],
      videoIds: ['v1', 'v2'],
      value: [1, 2, 1, 1],
      timestamp: [...new Array(3).fill(Date.UTC(2026, 10, 30)), Date.UTC(2026, 11, 1)],
      report: [
        `${uri}: 1 of 5 rows bad (20%): missing-video 1`,
        '  s3://lake/events/dt=2026-12-01/part-00000-b.csv.gz line 3: missing video id | u4,,watch,1,2026-12-01',
      ].join('\n'),
    });
  });

  it('reads a Parquet part by ranged GETs and an exactly named object as one file', async () => {
    // Prepare
    const client = motoClient();
    const calls = recordCalls(client);

    // Act
    const parts = await listInputParts('s3://lake/events', { s3Client: client });
    await readEvents('s3://lake/events/dt=2026-11-30/', { s3Client: client });
    const videos = await readVideos('s3://lake/videos.csv', ['v2', 'v1'], { s3Client: client });
    client.destroy();

    // Assess
    const gets = calls.filter((c) => c.command === 'GetObjectCommand');
    expect({
      parts: parts.map((p) => [p.relative, p.format, p.partitions]),
      parquetGets: gets
        .filter((c) => c.key?.endsWith('.parquet'))
        .every((c) => c.range?.startsWith('bytes=')),
      metadata: videos.metadata,
    }).toEqual({
      parts: [
        ['dt=2026-11-30/part-00000-a.snappy.parquet', 'parquet', [['dt', '2026-11-30']]],
        ['dt=2026-12-01/part-00000-b.csv.gz', 'csv.gz', [['dt', '2026-12-01']]],
      ],
      parquetGets: true,
      metadata: [{ title: 'Two' }, { title: 'One' }],
    });
  });
});

describe('Function: listObjects / readObjectRange / streamObject', () => {
  it('lists every page of a prefix, reads ranges and streams an object in parts', async () => {
    // Prepare
    for (let i = 0; i < 3; i++) await put(`many/p-${i}.txt`, `part ${i}`);
    const reader = { client: s3 };

    // Act
    const listed = await listObjects(reader, 'lake', 'many/');
    const range = await readObjectRange(reader, { bucket: 'lake', key: 'many/p-1.txt' }, 5, 6);
    const empty = await readObjectRange(reader, { bucket: 'lake', key: 'many/p-1.txt' }, 3, 3);
    const chunks: string[] = [];
    for await (const chunk of streamObject(reader, listed[2]!, 4)) chunks.push(Buffer.from(chunk).toString());

    // Assess
    expect({
      keys: listed.map((o) => [o.key, o.size, o.etag.length > 2]),
      range: Buffer.from(range).toString(),
      empty: empty.length,
      chunks,
    }).toEqual({
      keys: [
        ['many/p-0.txt', 6, true],
        ['many/p-1.txt', 6, true],
        ['many/p-2.txt', 6, true],
      ],
      range: '1',
      empty: 0,
      chunks: ['part', ' 2'],
    });
  });

  it('turns a missing bucket, a missing object and an empty prefix into InputInvalidError', async () => {
    // Prepare
    const reader = { client: s3, retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } };

    // Act
    const errors = await Promise.all([
      rejection(listObjects(reader, 'no-such-bucket', '')),
      rejection(readObjectRange(reader, { bucket: 'lake', key: 'nope' }, 0, 4)),
      rejection(listInputParts('s3://lake/nothing-here/', { s3Client: s3 })),
    ]);

    // Assess
    expect(errors.every((e) => e instanceof InputInvalidError)).toBe(true);
    expect(errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/^Cannot read s3:\/\/no-such-bucket\/: /),
      expect.stringMatching(/^Cannot read s3:\/\/lake\/nope: /),
      's3://lake/nothing-here/ holds no part files (names starting with _ or . are skipped, as Hadoop does)',
    ]);
  });
});

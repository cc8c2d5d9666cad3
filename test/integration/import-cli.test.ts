import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Moto, startMoto } from '../helpers/moto.js';
import { parquetBytes } from '../helpers/parquet.js';
import { motoClient } from '../helpers/s3-spy.js';
import { type SparkRows, sparkModelFiles } from '../helpers/spark-model.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSX = join(ROOT, 'node_modules/.bin/tsx');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `tsx training/import-cli.ts ...args` (what `npm run import -- ...args` runs). */
function runImport(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, ['training/import-cli.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let moto: Moto;
let s3: S3Client;

async function text(bucket: string, key: string): Promise<string> {
  const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await response.Body?.transformToString()) ?? '';
}

const USERS: SparkRows = [
  [1, [1, 0]],
  [2, [0, 1]],
  [3, [0.5, 0.5]],
];
const ITEMS: SparkRows = [
  [10, [1, 0.25]],
  [20, [0.25, 1]],
];

beforeAll(async () => {
  moto = await startMoto();
  s3 = motoClient();
  for (const bucket of ['lake', 'models']) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  for (const [path, body] of Object.entries(sparkModelFiles(2, USERS, ITEMS))) {
    // An explicit length: the SDK warns about a body of unknown length for the empty _SUCCESS markers.
    const length = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
    await s3.send(
      new PutObjectCommand({
        Bucket: 'lake',
        Key: `spark/als-2026-12-01/${path}`,
        Body: body,
        ContentLength: length,
      }),
    );
  }
  await s3.send(
    new PutObjectCommand({
      Bucket: 'lake',
      Key: 'events/dt=2026-12-01/part-00000.snappy.parquet',
      Body: parquetBytes({
        columns: [
          { name: 'user_id', data: [1n, 2n, 3n, 3n], type: 'INT64' },
          { name: 'video_id', data: [10, 20, 10, 20], type: 'INT32' },
          { name: 'weight', data: [1, 2, 1, 3], type: 'DOUBLE' },
        ],
      }),
    }),
  );
});
afterAll(async () => {
  s3.destroy();
  await moto.stop();
});

describe('CLI: npm run import', () => {
  it('imports a Spark model and events from S3 prefixes and publishes to S3, pointer last', async () => {
    // Act
    const run = await runImport(
      [
        '--spark-als',
        's3://lake/spark/als-2026-12-01',
        '--interactions',
        's3://lake/events/',
        '--user-column',
        'user_id',
        '--video-column',
        'video_id',
        '--value-column',
        'weight',
        '--s3',
        's3://models/prod',
      ],
      { ...moto.env, AWS_S3_FORCE_PATH_STYLE: 'true' },
    );

    // Assess
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    const pointer = JSON.parse(await text('models', 'prod/latest.json'));
    const manifest = JSON.parse(await text('models', `prod/${pointer.manifest}`));
    expect({
      factors: manifest.params.factors,
      counts: [manifest.counts.users, manifest.counts.videos],
      trainedOn: manifest.metrics.trainedOn,
      model: manifest.metrics.sparkModel,
      printed: run.stdout.includes('Spark model s3://lake/spark/als-2026-12-01: rank 2, 3 users x 2 videos'),
    }).toEqual({
      factors: 2,
      counts: [3, 2],
      trainedOn: 'spark',
      model: 's3://lake/spark/als-2026-12-01',
      printed: true,
    });
  });

  it('exits 2 with one line when --spark-als or --interactions is missing', async () => {
    // Act
    const [noModel, noEvents] = await Promise.all([
      runImport(['--interactions', 'x.csv', '--out', 'x'], moto.env),
      runImport(['--spark-als', 'model', '--out', 'x'], moto.env),
    ]);

    // Assess
    expect([noModel.code, noEvents.code]).toEqual([2, 2]);
    expect(noModel.stderr).toContain("required option '--spark-als <uri>' not specified");
    expect(noEvents.stderr).toBe('import: error: --interactions is required for an import\n');
  });
});

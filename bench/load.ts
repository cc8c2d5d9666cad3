/**
 * Load time of a 100k-video model: verify-only (in memory), from a local directory, and from the S3
 * emulator (moto on loopback) with single and parallel ranged GETs. Prints numbers; asserts nothing.
 * Usage: npm run bench:load [-- --videos 100000 --users 50000 --factors 64 --per-user 40 --reps 5]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { decodeModel } from '../src/artifact/decode.js';
import { encodeModel } from '../src/artifact/encode.js';
import type { ModelData } from '../src/core/model-data.js';
import { createModelStore } from '../src/store/model-store.js';
import { publishModel } from '../src/store/publish.js';
import { startMoto } from '../test/helpers/moto.js';
import { seededRandom } from '../test/helpers/tiny-model.js';

const { values } = parseArgs({
  options: {
    videos: { type: 'string', default: '100000' },
    users: { type: 'string', default: '50000' },
    factors: { type: 'string', default: '64' },
    'per-user': { type: 'string', default: '40' },
    reps: { type: 'string', default: '5' },
  },
});
const videos = Number(values.videos);
const users = Number(values.users);
const factors = Number(values.factors);
const perUser = Number(values['per-user']);
const reps = Number(values.reps);

function syntheticModel(): ModelData {
  const random = seededRandom(7);
  const indptr = new Int32Array(users + 1);
  const indices = new Int32Array(users * perUser);
  const data = new Float32Array(users * perUser);
  const popularity = new Float32Array(videos);
  const row = new Set<number>();
  let nnz = 0;
  for (let u = 0; u < users; u++) {
    row.clear();
    // Squaring skews picks toward low ids: a long-tail popularity, as real catalogues have.
    while (row.size < Math.min(perUser, videos)) row.add(Math.floor(random() ** 2 * videos));
    for (const v of [...row].sort((a, b) => a - b)) {
      indices[nnz] = v;
      data[nnz] = 1 + Math.floor(random() * 3);
      popularity[v] = popularity[v]! + data[nnz]!;
      nnz++;
    }
    indptr[u + 1] = nnz;
  }
  return {
    factors,
    userIds: Array.from({ length: users }, (_, i) => `user-${i}`),
    videoIds: Array.from({ length: videos }, (_, i) => `video-${i}`),
    userFactors: Float32Array.from({ length: users * factors }, () => random() - 0.5),
    itemFactors: Float32Array.from({ length: videos * factors }, () => random() - 0.5),
    seen: {
      rows: users,
      cols: videos,
      indptr,
      indices: indices.subarray(0, nnz),
      data: data.subarray(0, nnz),
    },
    popularity,
    metadata: Array.from({ length: videos }, (_, i) => ({
      title: `Video ${i}`,
      language: i % 3 ? 'en' : 'es',
    })),
  };
}

async function timeIt(label: string, run: () => Promise<unknown> | unknown): Promise<void> {
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    const start = performance.now();
    await run();
    ms.push(performance.now() - start);
  }
  ms.sort((a, b) => a - b);
  const median = ms[Math.floor(ms.length / 2)]!;
  console.log(
    `${label.padEnd(44)} median ${median.toFixed(0).padStart(6)} ms   min ${ms[0]!.toFixed(0).padStart(6)} ms   (${reps} runs)`,
  );
}

const MiB = 1024 * 1024;
let start = performance.now();
const model = syntheticModel();
console.log(
  `model: ${users} users x ${videos} videos x ${factors} factors, ${model.seen.indices.length} interactions (built in ${(performance.now() - start).toFixed(0)} ms)`,
);
start = performance.now();
const artifact = encodeModel(model, {
  params: { factors, regularization: 0.01, alpha: 1, iterations: 15, cgSteps: 3, threads: 1, seed: 42 },
  datasetDigest: 'synthetic',
});
console.log(
  `encode: ${(performance.now() - start).toFixed(0)} ms, bundle ${(artifact.bundle.byteLength / MiB).toFixed(1)} MiB`,
);
console.log(`node ${process.version}; machine shared with other sessions: numbers are noisy`);

await timeIt('decode + verify (in memory, no I/O)', () => decodeModel(artifact.manifest, artifact.bundle));

const dir = await mkdtemp(join(tmpdir(), 'bench-load-'));
const moto = await startMoto();
try {
  await publishModel(dir, artifact);
  await timeIt('load from local directory', () => createModelStore({ uri: dir, prepare: (m) => m }).load());

  const s3 = new S3Client({ forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: 'bench' }));
  start = performance.now();
  await publishModel('s3://bench/models', artifact, {}, { s3 });
  console.log(`publish to S3 emulator (multipart): ${(performance.now() - start).toFixed(0)} ms`);
  for (const [partSize, concurrency] of [
    [1024 * MiB, 1],
    [8 * MiB, 1],
    [8 * MiB, 4],
  ] as const) {
    await timeIt(
      `load from S3 emulator, ${partSize >= 1024 * MiB ? 'one GET' : `${partSize / MiB} MiB parts x${concurrency}`}`,
      () =>
        createModelStore({
          uri: 's3://bench/models',
          s3,
          ranged: { partSize, concurrency },
          prepare: (m) => m,
        }).load(),
    );
  }
  s3.destroy();
} finally {
  await moto.stop();
  await rm(dir, { recursive: true, force: true });
}

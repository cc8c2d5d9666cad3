/**
 * `npm run bench:lambda [-- --videos 100000 --users 20000 --factors 100 --runs 5 --warm 500 --package-dir DIR]`
 *
 * Cold start and warm latency of the Lambda target as it ships: `serverless package` builds the real
 * bundles, which are unzipped and imported by fresh Node processes (as the Lambda runtime does at init),
 * loading a large model published to the S3 emulator (moto_server). Prints, per cold start: process
 * start to handler ready, the import itself (bundle evaluation + model download + verify + index), and
 * the first invocation; then warm per-invocation latency percentiles and the resident set size.
 * Numbers are from this machine (2 shared cores, loopback S3), not from Lambda: read them as relative.
 * @module
 */
import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { extractZip, KiB, packageService } from '../deploy/lambda-package.js';
import { encodeModel } from '../src/artifact/encode.js';
import type { ModelData } from '../src/core/model-data.js';
import { publishModel } from '../src/store/publish.js';
import { createS3Client } from '../src/store/s3-client.js';
import { startMoto } from '../test/helpers/moto.js';
import { seededRandom } from '../test/helpers/tiny-model.js';

const options = new Command('bench:lambda')
  .option('--videos <n>', 'videos in the model', '100000')
  .option('--users <n>', 'users in the model', '20000')
  .option('--factors <n>', 'latent factors (the implicit default)', '100')
  .option('--seen <n>', 'videos seen per user', '30')
  .option('--runs <n>', 'fresh processes (cold starts)', '5')
  .option('--warm <n>', 'warm invocations per process', '500')
  .option('--package-dir <dir>', 'reuse a `serverless package` output instead of packaging again')
  .parse(process.argv)
  .opts<{
    videos: string;
    users: string;
    factors: string;
    seen: string;
    runs: string;
    warm: string;
    packageDir?: string;
  }>();

/** A random model of the requested size: what matters for load time is bytes and counts, not quality. */
function syntheticModel(videos: number, users: number, factors: number, seenPerUser: number): ModelData {
  const random = seededRandom(7);
  const userFactors = Float32Array.from({ length: users * factors }, () => random() * 0.2 - 0.1);
  const itemFactors = Float32Array.from({ length: videos * factors }, () => random() * 0.2 - 0.1);
  const indptr = new Int32Array(users + 1);
  const indices = new Int32Array(users * seenPerUser);
  const popularity = new Float32Array(videos);
  for (let u = 0; u < users; u++) {
    const picked = new Set<number>();
    while (picked.size < seenPerUser) picked.add(Math.floor(random() * videos));
    const sorted = [...picked].sort((a, b) => a - b);
    indices.set(sorted, u * seenPerUser);
    for (const v of sorted) popularity[v] = (popularity[v] ?? 0) + 1;
    indptr[u + 1] = (u + 1) * seenPerUser;
  }
  const pad = (prefix: string, n: number) => `${prefix}${String(n).padStart(6, '0')}`;
  return {
    factors,
    userIds: Array.from({ length: users }, (_, i) => pad('u', i)),
    videoIds: Array.from({ length: videos }, (_, i) => pad('v', i)),
    userFactors,
    itemFactors,
    seen: { rows: users, cols: videos, indptr, indices, data: new Float32Array(indices.length).fill(1) },
    popularity,
    metadata: null,
  };
}

// Runs in each fresh process: import the bundle (init), invoke once (cold), then `warm` times.
const CHILD = `
const started = performance.now();
const { handler } = await import(process.env.BENCH_BUNDLE);
const imported = performance.now();
process.send({ ready: true });
const event = JSON.parse(process.env.BENCH_EVENT);
const users = Number(process.env.BENCH_USERS);
const context = { functionName: 'bench', awsRequestId: 'bench', getRemainingTimeInMillis: () => 10000 };
const eventFor = (i) => {
  const e = structuredClone(event);
  const id = 'u' + String((i * 7919) % users).padStart(6, '0');
  e.pathParameters = { userId: id };
  e.path = '/users/' + id + '/recommendations';
  return e;
};
const first = await handler(eventFor(0), context);
const firstDone = performance.now();
const times = [];
for (let i = 1; i <= Number(process.env.BENCH_WARM); i++) {
  const e = eventFor(i);
  const t = performance.now();
  const r = await handler(e, context);
  times.push(performance.now() - t);
  if (r.statusCode !== 200) throw new Error('warm call failed: ' + r.body);
}
process.send({ sinceProcessStart: imported, importMs: imported - started, firstMs: firstDone - imported,
  firstStatus: first.statusCode, times, rssMiB: process.memoryUsage().rss / 1048576 });
`;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const videos = Number(options.videos);
const users = Number(options.users);
const factors = Number(options.factors);
const work = mkdtempSync(join(tmpdir(), 'bench-lambda-'));

const packageDir = options.packageDir ?? join(work, 'package');
if (!options.packageDir) {
  mkdirSync(packageDir);
  console.log('packaging (serverless package)...');
  await packageService({
    stage: 'bench',
    region: 'us-east-1',
    bucket: 'bench',
    prefix: 'model',
    outDir: packageDir,
  });
}
const bundleDir = join(work, 'bundle');
extractZip(readFileSync(join(packageDir, 'userRecommendations.zip')), bundleDir);
const bundle = join(bundleDir, 'handlers/user-recommendations.mjs');
console.log(`bundle: ${(readFileSync(bundle).length / KiB).toFixed(0)} KiB (${bundle})`);

const moto = await startMoto();
try {
  await fetch(`${moto.endpoint}/bench`, { method: 'PUT' });
  const model = syntheticModel(videos, users, factors, Number(options.seen));
  const artifact = encodeModel(model, {
    params: { factors, regularization: 0.01, alpha: 1, iterations: 15, cgSteps: 3, threads: 1, seed: 42 },
    datasetDigest: 'bench',
  });
  const s3 = createS3Client({ forcePathStyle: true });
  await publishModel('s3://bench/model', artifact, {}, { s3 });
  s3.destroy();
  console.log(
    `model: ${videos} videos x ${users} users x ${factors} factors, bundle ${(artifact.bundle.length / KiB / KiB).toFixed(1)} MiB in the S3 emulator`,
  );

  const runner = join(work, 'child.mjs');
  writeFileSync(runner, CHILD);
  const event = readFileSync(
    new URL('../test/events/apigw-rest/user-recommendations.json', import.meta.url),
    'utf8',
  );
  const all: number[] = [];
  console.log(
    '\nrun  spawn->ready ms  in-process ms  import(init) ms  of which model ms  first call ms  rss MiB',
  );
  for (let run = 1; run <= Number(options.runs); run++) {
    const spawnedAt = performance.now();
    let wall = Number.NaN;
    let stdout = '';
    const result = await new Promise<{
      sinceProcessStart: number;
      importMs: number;
      firstMs: number;
      firstStatus: number;
      times: number[];
      rssMiB: number;
    }>((resolve, reject) => {
      const child = fork(runner, [], {
        env: {
          ...process.env,
          ...moto.env,
          MODEL_URI: 's3://bench/model',
          AWS_S3_FORCE_PATH_STYLE: 'true',
          LOG_LEVEL: 'info',
          NODE_OPTIONS: '--enable-source-maps',
          BENCH_BUNDLE: bundle,
          BENCH_EVENT: event,
          BENCH_USERS: String(users),
          BENCH_WARM: options.warm,
        },
        stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
      });
      child.stdout?.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      child.on('message', (m: { ready?: boolean }) => {
        if (m.ready) wall = performance.now() - spawnedAt;
        else resolve(m as never);
      });
      child.once('exit', (code) => code !== 0 && reject(new Error(`bench child exited ${code}`)));
    });
    // The store logs model_loaded with the download + verify + prepare time.
    const modelMs = Number(stdout.match(/"message":"model_loaded".*?"ms":(\d+)/)?.[1] ?? Number.NaN);
    if (result.firstStatus !== 200) throw new Error(`first invocation answered ${result.firstStatus}`);
    all.push(...result.times);
    console.log(
      [
        String(run).padStart(3),
        wall.toFixed(0).padStart(16),
        result.sinceProcessStart.toFixed(0).padStart(13),
        result.importMs.toFixed(0).padStart(16),
        String(modelMs).padStart(17),
        result.firstMs.toFixed(1).padStart(14),
        result.rssMiB.toFixed(0).padStart(8),
      ].join(''),
    );
  }
  const sorted = all.sort((a, b) => a - b);
  const mean = sorted.reduce((s, t) => s + t, 0) / sorted.length;
  console.log(
    `\nwarm GET /users/{userId}/recommendations (k=3, ${sorted.length} calls): mean ${mean.toFixed(2)} ms, ` +
      `p50 ${percentile(sorted, 50).toFixed(2)}, p95 ${percentile(sorted, 95).toFixed(2)}, p99 ${percentile(sorted, 99).toFixed(2)} ms`,
  );
} finally {
  await moto.stop();
  rmSync(work, { recursive: true, force: true });
}

/**
 * `npm run bench:lambda [-- --videos 100000 --users 20000 --factors 100 --runs 3 --warm 500 --package-dir DIR]`
 *
 * Cold start and warm latency of the Lambda target as it ships: `serverless package` builds the real
 * bundle (handlers/api.mjs), which is unzipped and imported by fresh Node processes (as the Lambda
 * runtime does at init) with the serverless.yml settings (USER_PRELOAD_MB=0: users read per block on
 * demand; --enable-source-maps). The model is read from the S3 emulator (moto_server) and, for
 * comparison, from a local directory. Prints per cold start: process start to first answer, the
 * import (bundle evaluation + model load), the model load alone (from the `model_loaded` log line),
 * the first invocation; then warm per-invocation percentiles and the resident set size.
 * Numbers are from this machine (loopback S3, no Lambda CPU cap): read them as relative.
 * @module
 */
import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { extractZip, KiB, packageService } from '../deploy/lambda-package.js';
import { encodeModel } from '../src/artifact/index.js';
import type { ModelData } from '../src/core/model-data.js';
import { createRng } from '../src/core/random.js';
import { createS3Client, publishModel } from '../src/store/index.js';
import { startMoto } from '../tools/moto.js';

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
const options = new Command('bench:lambda')
  .option('--videos <n>', 'videos in the model', '100000')
  .option('--users <n>', 'users in the model', '20000')
  .option('--factors <n>', 'latent factors (the implicit default)', '100')
  .option('--seen <n>', 'videos seen per user', '30')
  .option('--index <kind>', 'ANN index of the artifact: auto (IVF from 50k videos), ivf, exact', 'auto')
  .option('--runs <n>', 'fresh processes (cold starts) per model location', '3')
  .option('--warm <n>', 'warm invocations per process', '500')
  .option('--package-dir <dir>', 'reuse a `serverless package` output instead of packaging again')
  .parse(isMain ? process.argv : ['node', 'bench:lambda'])
  .opts<{
    videos: string;
    users: string;
    factors: string;
    seen: string;
    index: 'auto' | 'ivf' | 'exact';
    runs: string;
    warm: string;
    packageDir?: string;
  }>();

const MiB = KiB * KiB;

/**
 * A random model of the requested size with some structure (factors drawn around 64 centres, as
 * trained factors cluster by taste), so an IVF index has lists worth probing. What matters for
 * loading is bytes and counts; for warm latency, the index.
 */
function syntheticModel(videos: number, users: number, factors: number, seenPerUser: number): ModelData {
  const random = createRng(7);
  const centres = Float32Array.from({ length: 64 * factors }, () => random() * 0.4 - 0.2);
  const around = (rows: number): Float32Array => {
    const out = new Float32Array(rows * factors);
    for (let r = 0; r < rows; r++) {
      const c = Math.floor(random() * 64) * factors;
      for (let f = 0; f < factors; f++) out[r * factors + f] = (centres[c + f] ?? 0) + random() * 0.1 - 0.05;
    }
    return out;
  };
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
    userFactors: around(users),
    itemFactors: around(videos),
    seen: { rows: users, cols: videos, indptr, indices, data: new Float32Array(indices.length).fill(1) },
    popularity,
    metadata: null,
  };
}

/** What each fresh process reports. */
interface ChildResult {
  /** ms from process start (performance.timeOrigin) to the end of the import, and to the first answer */
  importedAt: number;
  answeredAt: number;
  importMs: number;
  firstMs: number;
  firstStatus: number;
  /** warm calls, first pass (user blocks mostly read from the model location) and second (cached) */
  times: number[];
  cachedTimes: number[];
  rssMiB: number;
}

// Runs in each fresh process: import the bundle (init), invoke once (cold), then `warm` times.
const CHILD = `
const started = performance.now();
const api = await import(process.env.BENCH_BUNDLE);
const imported = performance.now();
const event = JSON.parse(process.env.BENCH_EVENT);
const users = Number(process.env.BENCH_USERS);
const context = { functionName: 'bench', awsRequestId: 'bench', getRemainingTimeInMillis: () => 10000 };
const eventFor = (i) => {
  const e = structuredClone(event);
  const id = 'u' + String((i * 7919) % users).padStart(Number(process.env.BENCH_ID_PAD), '0');
  e.pathParameters = { userId: id };
  e.path = '/users/' + id + '/recommendations';
  return e;
};
const first = await api.userRecommendations(eventFor(0), context);
const answered = performance.now();
process.send({ answered: true });
// Two passes over the same users: the first reads most of their blocks, the second finds them cached.
const pass = async () => {
  const times = [];
  for (let i = 1; i <= Number(process.env.BENCH_WARM); i++) {
    const e = eventFor(i);
    const t = performance.now();
    const r = await api.userRecommendations(e, context);
    times.push(performance.now() - t);
    if (r.statusCode !== 200) throw new Error('warm call failed: ' + r.body);
  }
  return times;
};
const times = await pass();
const cachedTimes = await pass();
process.send({ importedAt: imported, answeredAt: answered, importMs: imported - started,
  firstMs: answered - imported, firstStatus: first.statusCode, times, cachedTimes,
  rssMiB: process.memoryUsage().rss / 1048576 });
`;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const median = (values: readonly number[]): number =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

/** Fresh processes importing the bundle with `env`; prints one line per cold start and the warm summary. */
async function coldStarts(
  label: string,
  runner: string,
  env: Record<string, string>,
): Promise<{ firstAnswerMs: number[]; warm: number[]; cached: number[]; rss: number[] }> {
  const firstAnswerMs: number[] = [];
  const warm: number[] = [];
  const cached: number[] = [];
  const rss: number[] = [];
  console.log(`\n${label}`);
  console.log(
    'run  spawn->first answer ms  process start->first answer ms  import(init) ms  of which model ms  first call ms  rss MiB',
  );
  for (let run = 1; run <= Number(options.runs); run++) {
    const spawnedAt = performance.now();
    let spawnToAnswer = Number.NaN;
    let stdout = '';
    const result = await new Promise<ChildResult>((resolve, reject) => {
      const child = fork(runner, [], {
        // Not this process's execArgv (tsx's loader): the child runs the bundle as Lambda does.
        execArgv: [],
        env: { ...process.env, ...env, NODE_OPTIONS: '--enable-source-maps' },
        stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
      });
      child.stdout?.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      child.on('message', (m: ChildResult | { answered: true }) => {
        if ('answered' in m) spawnToAnswer = performance.now() - spawnedAt;
        else resolve(m);
      });
      child.once('exit', (code) => code !== 0 && reject(new Error(`bench child exited ${code}`)));
    });
    if (result.firstStatus !== 200) throw new Error(`first invocation answered ${result.firstStatus}`);
    // The runtime logs model_loaded with the time to read, verify and place the item side.
    const modelMs = Number(stdout.match(/"message":"model_loaded".*?"ms":(\d+)/)?.[1] ?? Number.NaN);
    firstAnswerMs.push(result.answeredAt);
    warm.push(...result.times);
    cached.push(...result.cachedTimes);
    rss.push(result.rssMiB);
    console.log(
      [
        String(run).padStart(3),
        spawnToAnswer.toFixed(0).padStart(23),
        result.answeredAt.toFixed(0).padStart(32),
        result.importMs.toFixed(0).padStart(17),
        String(modelMs).padStart(19),
        result.firstMs.toFixed(1).padStart(15),
        result.rssMiB.toFixed(0).padStart(9),
      ].join(''),
    );
  }
  const sorted = [...warm].sort((a, b) => a - b);
  const sortedCached = [...cached].sort((a, b) => a - b);
  const line = (values: readonly number[]) =>
    `p50 ${percentile(values, 50).toFixed(2)} ms, p95 ${percentile(values, 95).toFixed(2)} ms, p99 ${percentile(values, 99).toFixed(2)} ms`;
  console.log(`warm GET /users/{userId}/recommendations (k=3, ${sorted.length} calls):`);
  console.log(`  users' blocks read on demand (first pass): ${line(sorted)}`);
  console.log(`  the same users again (blocks cached):      ${line(sortedCached)}`);
  return { firstAnswerMs, warm: sorted, cached: sortedCached, rss };
}

/** A minimal API Gateway REST proxy event of GET /users/{userId}/recommendations (the child sets the id). */
const USER_EVENT = {
  resource: '/users/{userId}/recommendations',
  path: '/users/u0/recommendations',
  httpMethod: 'GET',
  headers: { Accept: 'application/json', 'X-Forwarded-For': '127.0.0.1' },
  multiValueHeaders: {},
  queryStringParameters: { k: '3' },
  multiValueQueryStringParameters: { k: ['3'] },
  pathParameters: { userId: 'u0' },
  stageVariables: null,
  requestContext: {
    requestId: 'bench',
    stage: 'bench',
    path: '/bench/users/u0/recommendations',
    httpMethod: 'GET',
    identity: { sourceIp: '127.0.0.1' },
  },
  body: null,
  isBase64Encoded: false,
};

/** The packaged handler bundle (serverless package), unzipped into `work`. */
async function packagedBundle(work: string, reuse?: string): Promise<string> {
  const packageDir = reuse ?? join(work, 'package');
  if (!reuse) {
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
  const bundle = join(bundleDir, 'handlers/api.mjs');
  console.log(`bundle: ${(readFileSync(bundle).length / KiB).toFixed(0)} KiB (${bundle})`);
  return bundle;
}

/** Copies a model root (latest.json + models/) into the emulator's bucket `bench` under `model/`. */
async function uploadRoot(dir: string, endpoint: string): Promise<void> {
  const s3 = createS3Client({ forcePathStyle: true });
  const { Upload } = await import('@aws-sdk/lib-storage');
  const walk = async (prefix: string): Promise<void> => {
    for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
      const key = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(key);
      else {
        const { createReadStream } = await import('node:fs');
        await new Upload({
          client: s3,
          params: { Bucket: 'bench', Key: `model/${key}`, Body: createReadStream(join(dir, key)) },
          partSize: 64 * MiB,
          queueSize: 2,
        }).done();
      }
    }
  };
  await fetch(`${endpoint}/bench`, { method: 'PUT' });
  await walk('');
  s3.destroy();
}

/**
 * Lambda cold starts over an already published model root (bench:scale's 1M x 10M model): from the S3
 * emulator and/or the directory itself. Users are `u<n>` for n below the manifest's count.
 */
export async function lambdaInit(dir: string, where: { s3: boolean; directory: boolean }): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'bench-lambda-'));
  const pointer = JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')) as { manifest: string };
  const manifest = JSON.parse(readFileSync(join(dir, pointer.manifest), 'utf8')) as {
    counts: { users: number };
  };
  const runner = join(work, 'child.mjs');
  writeFileSync(runner, CHILD);
  const common = {
    BENCH_BUNDLE: await packagedBundle(work, options.packageDir),
    BENCH_EVENT: JSON.stringify(USER_EVENT),
    BENCH_USERS: String(manifest.counts.users),
    BENCH_ID_PAD: '0',
    BENCH_WARM: options.warm,
    USER_PRELOAD_MB: '0',
    LOG_LEVEL: 'info',
  };
  const results: [string, Awaited<ReturnType<typeof coldStarts>>][] = [];
  try {
    if (where.s3) {
      const moto = await startMoto();
      try {
        console.log('uploading the model to the S3 emulator...');
        await uploadRoot(dir, moto.endpoint);
        const env = {
          ...common,
          ...moto.env,
          MODEL_URI: 's3://bench/model',
          AWS_S3_FORCE_PATH_STYLE: 'true',
        };
        results.push(['S3 emulator', await coldStarts('Lambda, model in the S3 emulator', runner, env)]);
      } finally {
        await moto.stop();
      }
    }
    if (where.directory)
      results.push([
        'directory',
        await coldStarts(`Lambda, model in ${dir}`, runner, { ...common, MODEL_URI: dir }),
      ]);
    for (const [label, r] of results) {
      console.log(
        `  Lambda ${label}: process start -> first answer ${median(r.firstAnswerMs).toFixed(0)} ms (median of ${r.firstAnswerMs.length}; target < 1.5 s), warm p50 / p99 ${percentile(r.warm, 50).toFixed(2)} / ${percentile(r.warm, 99).toFixed(2)} ms, rss ${median(r.rss).toFixed(0)} MiB`,
      );
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const videos = Number(options.videos);
  const users = Number(options.users);
  const factors = Number(options.factors);
  const work = mkdtempSync(join(tmpdir(), 'bench-lambda-'));

  const bundle = await packagedBundle(work, options.packageDir);

  const moto = await startMoto();
  try {
    await fetch(`${moto.endpoint}/bench`, { method: 'PUT' });
    const encodeStarted = performance.now();
    const model = syntheticModel(videos, users, factors, Number(options.seen));
    const artifact = encodeModel(model, {
      params: { factors, regularization: 0.01, alpha: 1, iterations: 15, cgSteps: 3, threads: 1, seed: 42 },
      datasetDigest: 'bench',
      index: options.index,
    });
    const fileMiB = (name: string) => ((artifact.files[name]?.byteLength ?? 0) / MiB).toFixed(1);
    const s3 = createS3Client({ forcePathStyle: true });
    await publishModel('s3://bench/model', artifact, {}, { s3 });
    s3.destroy();
    const localDir = join(work, 'model');
    await publishModel(localDir, artifact);
    const index = artifact.manifest.index;
    console.log(
      `model: ${videos} videos x ${users} users x ${factors} factors; items.bin ${fileMiB('items.bin')} MiB, ` +
        `users.bin ${fileMiB('users.bin')} MiB; index ${index.kind === 'ivf' ? `ivf (${index.lists} lists, nprobe ${index.nprobe})` : index.kind}; ` +
        `built in ${((performance.now() - encodeStarted) / 1000).toFixed(1)} s; in the S3 emulator and in ${localDir}`,
    );

    const runner = join(work, 'child.mjs');
    writeFileSync(runner, CHILD);
    const event = JSON.stringify(USER_EVENT);
    const common = {
      BENCH_BUNDLE: bundle,
      BENCH_EVENT: event,
      BENCH_USERS: String(users),
      BENCH_WARM: options.warm,
      BENCH_ID_PAD: '6',
      USER_PRELOAD_MB: '0',
      LOG_LEVEL: 'info',
    };
    const fromS3 = await coldStarts('model in the S3 emulator (s3://bench/model)', runner, {
      ...common,
      ...moto.env,
      MODEL_URI: 's3://bench/model',
      AWS_S3_FORCE_PATH_STYLE: 'true',
    });
    const fromDir = await coldStarts(`model in a local directory (${localDir})`, runner, {
      ...common,
      MODEL_URI: localDir,
    });
    console.log('\nsummary (median of the cold starts; target: init to first answer < 500 ms)');
    for (const [label, r] of [
      ['S3 emulator', fromS3],
      ['local directory', fromDir],
    ] as const) {
      console.log(
        `  ${label.padEnd(16)} process start -> first answer ${median(r.firstAnswerMs).toFixed(0)} ms; ` +
          `warm p50 / p99 ${percentile(r.warm, 50).toFixed(2)} / ${percentile(r.warm, 99).toFixed(2)} ms ` +
          `(blocks cached: ${percentile(r.cached, 50).toFixed(2)} / ${percentile(r.cached, 99).toFixed(2)} ms); ` +
          `rss ${median(r.rss).toFixed(0)} MiB`,
      );
    }
  } finally {
    await moto.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

if (isMain) await main();

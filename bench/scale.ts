/**
 * `npm run bench:scale [-- --videos 1000000 --users 10000000 --factors 64 --seconds 10 --no-lambda]`
 *
 * Serving at catalogue scale. Generates (once, into bench/.data) a seeded synthetic model of 1M videos
 * x 10M users x 64 factors straight into the artifact format (bench/scale-model.ts), then prints:
 * the artifact's size; the container (production bundle, 2 request threads, model from a local
 * directory) from start to the first /ping 200 and its RSS; req/s and p50/p99 at 32 connections for
 * random users with a cold user cache, then for a hot set of users once cached; recall@10 of the
 * served answers against exact scoring; and Lambda init to first answer from the S3 emulator and from
 * a directory (bench/lambda.ts). Targets (the serving-runtime issue): ready < 20 s, >= 1,000 req/s
 * with p99 < 50 ms cold, recall@10 >= 0.99, Lambda init < 1.5 s.
 * @module
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { buildServerBundle } from '../container/build.js';
import { silentLog } from '../src/core/log.js';
import { loadConfig, RecommenderCache, runtimeFromConfig } from '../src/serving/index.js';
import { hasWrk, rssMiB, runWrk, startServer } from './load-tools.js';
import { generateScaleModel, SCALE_DEFAULTS } from './scale-model.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DATA = join(ROOT, 'bench/.data');

const options = new Command('bench:scale')
  .option('--videos <n>', 'videos', String(SCALE_DEFAULTS.videos))
  .option('--users <n>', 'users', String(SCALE_DEFAULTS.users))
  .option('--factors <n>', 'factors', String(SCALE_DEFAULTS.factors))
  .option('--seconds <s>', 'seconds of measured load per run', '10')
  .option('--hot-users <n>', 'size of the hot set for the warm run', '50000')
  .option('--recall-users <n>', 'users compared with exact scoring', '1000')
  .option('--no-lambda', 'skip the Lambda init measurements')
  .parse()
  .opts<{
    videos: string;
    users: string;
    factors: string;
    seconds: string;
    hotUsers: string;
    recallUsers: string;
    lambda: boolean;
  }>();

const shape = {
  ...SCALE_DEFAULTS,
  videos: Number(options.videos),
  users: Number(options.users),
  factors: Number(options.factors),
};
const dir = join(DATA, `scale-${shape.videos}x${shape.users}x${shape.factors}`);
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

async function ensureModel(): Promise<void> {
  if (existsSync(join(dir, 'latest.json'))) return;
  console.log(`generating ${dir} ...`);
  const started = performance.now();
  const model = await generateScaleModel(dir, shape, (line) => console.log(line));
  console.log(
    `  generated in ${((performance.now() - started) / 1000).toFixed(0)} s: ${model.index}, ${model.interactions} interactions`,
  );
}

function artifactSizes(): { items: number; users: number; manifest: string } {
  const pointer = JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')) as { manifest: string };
  const versionDir = join(dir, pointer.manifest, '..');
  return {
    items: statSync(join(versionDir, 'items.bin')).size,
    users: statSync(join(versionDir, 'users.bin')).size,
    manifest: join(dir, pointer.manifest),
  };
}

async function container(bundle: string): Promise<void> {
  const load = { seconds: Number(options.seconds), connections: 32, threads: 2, k: 10, workDir: DATA };
  const server = await startServer([bundle, 'serve'], { MODEL_URI: dir, WORKERS: '2' });
  console.log(
    `\ncontainer (2 request threads, users read on demand): ready in ${(server.readyMs / 1000).toFixed(1)} s (target < 20 s), RSS ${rssMiB(server.child.pid as number).toFixed(0)} MiB`,
  );
  const cold = runWrk(server.url, shape.users, load);
  console.log(
    `  cold user cache, random users of ${shape.users}: ${cold.rps.toFixed(0)} req/s, p50 ${cold.p50.toFixed(1)} ms, p99 ${cold.p99.toFixed(1)} ms, errors ${cold.errors} (target >= 1,000 req/s, p99 < 50 ms)`,
  );
  const hot = Number(options.hotUsers);
  runWrk(server.url, hot, { ...load, seconds: 5 });
  const warm = runWrk(server.url, hot, load);
  console.log(
    `  warm, random users of a hot set of ${hot}: ${warm.rps.toFixed(0)} req/s, p50 ${warm.p50.toFixed(1)} ms, p99 ${warm.p99.toFixed(1)} ms, errors ${warm.errors}`,
  );
  console.log(`  RSS after load: ${rssMiB(server.child.pid as number).toFixed(0)} MiB`);
  await server.stop();
}

async function recall(): Promise<void> {
  const config = loadConfig({ MODEL_URI: dir, USER_PRELOAD_MB: '0' });
  const runtime = runtimeFromConfig(config, { log: silentLog, drive: 'requests', slots: 1 });
  await runtime.start();
  const handle = runtime.handle();
  if (!handle) throw runtime.unavailable();
  const ann = new RecommenderCache(config, 0).get(handle);
  const exact = new RecommenderCache({ ...config, scoring: 'exact' }, 0).get(handle);
  const n = Number(options.recallUsers);
  let hits = 0;
  let total = 0;
  let annMs = 0;
  let exactMs = 0;
  for (let i = 0; i < n; i++) {
    const user = `u${Math.floor((i * 2654435761) % shape.users)}`;
    await ann.recommendForUser(user, { k: 10 });
    let t = performance.now();
    const a = await ann.recommendForUser(user, { k: 10 });
    annMs += performance.now() - t;
    t = performance.now();
    const e = await exact.recommendForUser(user, { k: 10 });
    exactMs += performance.now() - t;
    const truth = new Set(e.items.map((x) => x.videoId));
    hits += a.items.filter((x) => truth.has(x.videoId)).length;
    total += truth.size;
  }
  console.log(
    `\nrecall@10 against exact scoring over ${n} users: ${(hits / total).toFixed(4)} (target >= 0.99)`,
  );
  console.log(
    `  in-process scoring per request: ANN ${(annMs / n).toFixed(2)} ms, exact ${(exactMs / n).toFixed(1)} ms (${handle.manifest.index.kind === 'ivf' ? `nprobe ${handle.manifest.index.nprobe} of ${handle.manifest.index.lists} lists` : 'no index'})`,
  );
}

if (!hasWrk()) {
  console.error('bench:scale needs wrk (Debian: apt-get install wrk)');
  process.exit(1);
}
await ensureModel();
const sizes = artifactSizes();
console.log(
  `bench:scale  node ${process.version}  ${shape.videos} videos x ${shape.users} users x ${shape.factors} factors`,
);
console.log(
  `artifact: items.bin ${mib(sizes.items)} (loaded at start), users.bin ${mib(sizes.users)} (read per user block)`,
);
const { file: bundle } = await buildServerBundle();
await container(bundle);
await recall();
if (options.lambda) {
  const { lambdaInit } = await import('./lambda.js');
  await lambdaInit(dir, { s3: true, directory: true });
}

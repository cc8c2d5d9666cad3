/**
 * `npm run bench:serve [-- --seconds 10 --connections 32 --threads 2 --rounds 3 --models sample,ml100k --no-memory]`
 *
 * The container server as it ships (the production bundle, a real process, access log sampled as
 * configured) next to its anchor, measured in the same run: a bare `node:http` cluster that answers a
 * fixed 10-item JSON (bench/bare-node-http.ts), and against itself with the metrics off. wrk, 2 load threads, 32 connections, random known
 * users, k = 10, the contenders alternating round after round so other load on the machine hits both
 * alike; prints each round, the medians and the ratios (target: at least 60 % of the anchor's req/s,
 * p99 at most 2x its p99).
 *
 * Then memory: a model whose user factors dominate (1M users x 64 factors, 10k videos, generated into
 * bench/.data), served with 1 and with 2 request threads; prints the whole process's RSS after load
 * (target: 2 threads at most 1.3x 1 thread, because every thread shares the one model).
 * @module
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { buildServerBundle } from '../container/build.js';
import { parseManifest, UserBlock, viewItems } from '../src/artifact/index.js';
import { hasWrk, type LoadResult, median, rssMiB, runWrk, startServer } from './load-tools.js';
import { generateScaleModel, SCALE_DEFAULTS } from './scale-model.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DATA = join(ROOT, 'bench/.data');
const ML100K = resolve(ROOT, '../shared/data/ml-100k/u.data');

const options = new Command('bench:serve')
  .option('--seconds <s>', 'seconds of measured load per run', '10')
  .option('--connections <n>', 'concurrent connections', '32')
  .option('--threads <n>', 'wrk load threads', '2')
  .option('--rounds <n>', 'rounds, each contender once per round', '3')
  .option('--models <list>', 'sample and/or ml100k', 'sample,ml100k')
  .option('--workers <n>', 'request threads of our server', '2')
  .option('--no-memory', 'skip the memory comparison')
  .parse()
  .opts<{
    seconds: string;
    connections: string;
    threads: string;
    rounds: string;
    models: string;
    workers: string;
    memory: boolean;
  }>();

function train(out: string, extra: string[]): void {
  console.log(`training ${out} ...`);
  execFileSync(process.execPath, ['--import', 'tsx', 'training/cli.ts', '--out', out, '--quiet', ...extra], {
    cwd: ROOT,
    stdio: 'inherit',
  });
}

/** Every user id of a published model, read from its user blocks. */
function userIdsOf(dir: string): string[] {
  const pointer = JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')) as { manifest: string };
  const manifest = parseManifest(JSON.parse(readFileSync(join(dir, pointer.manifest), 'utf8')));
  const items = readFileSync(join(dir, pointer.manifest, '..', manifest.items.file));
  const users = readFileSync(join(dir, pointer.manifest, '..', manifest.users.file));
  const view = viewItems(
    manifest,
    new Uint8Array(items.buffer.slice(items.byteOffset, items.byteOffset + items.byteLength)),
  );
  const ids: string[] = [];
  const { offsets } = view.users;
  for (let b = 0; b + 1 < offsets.length; b++) {
    const bytes = new Uint8Array(
      users.buffer.slice(
        users.byteOffset + (offsets[b] as number),
        users.byteOffset + (offsets[b + 1] as number),
      ),
    );
    const block = new UserBlock(bytes);
    for (let i = 0; i < block.n; i++) ids.push(block.idAt(i));
  }
  return ids;
}

function prepareModel(name: string): { dir: string; label: string } | undefined {
  if (name === 'sample') {
    const dir = join(ROOT, 'artifacts');
    if (!existsSync(join(dir, 'latest.json'))) train('artifacts', []);
    return { dir, label: 'sample (4,000 users x 1,000 videos, 100 factors)' };
  }
  const dir = join(DATA, 'ml100k');
  if (!existsSync(join(dir, 'latest.json'))) {
    if (!existsSync(ML100K)) {
      console.log(`skipping ml100k: ${ML100K} not found`);
      return undefined;
    }
    train(dir, [
      '--interactions',
      ML100K,
      '--layout',
      'movielens',
      '--no-videos',
      '--factors',
      '64',
      '--regularization',
      '0.05',
      '--iterations',
      '15',
    ]);
  }
  return { dir, label: 'MovieLens 100K (943 users x 1,682 videos, 64 factors)' };
}

const fmt = (r: LoadResult): string =>
  `${r.rps.toFixed(0).padStart(7)} req/s  p50 ${r.p50.toFixed(2).padStart(6)} ms  p99 ${r.p99.toFixed(2).padStart(6)} ms${r.errors ? `  errors ${r.errors}` : ''}`;

async function throughput(bundle: string, model: { dir: string; label: string }): Promise<void> {
  const users = userIdsOf(model.dir);
  const load = {
    seconds: Number(options.seconds),
    connections: Number(options.connections),
    threads: Number(options.threads),
    k: 10,
    workDir: DATA,
  };
  const contenders = {
    'bare node:http': () =>
      startServer([join(ROOT, 'bench/bare-node-http.ts'), '{PORT}', options.workers], {}),
    // Metrics flushed every second: the recording on every request plus the most frequent flush.
    [`ours (${options.workers} threads)`]: () =>
      startServer([bundle, 'serve'], {
        MODEL_URI: model.dir,
        WORKERS: options.workers,
        METRICS_INTERVAL_SECONDS: '1',
      }),
    'ours, metrics off': () =>
      startServer([bundle, 'serve'], {
        MODEL_URI: model.dir,
        WORKERS: options.workers,
        METRICS_INTERVAL_SECONDS: '0',
      }),
  };
  const results: Record<string, LoadResult[]> = {};
  console.log(
    `\n${model.label}: wrk -t${load.threads} -c${load.connections} -d${load.seconds}s, random users, k = 10`,
  );
  for (let round = 1; round <= Number(options.rounds); round++) {
    const order = round % 2 === 1 ? Object.keys(contenders) : Object.keys(contenders).reverse();
    for (const name of order) {
      const server = await contenders[name]!();
      runWrk(server.url, users, { ...load, seconds: 2 });
      const result = runWrk(server.url, users, load);
      await server.stop();
      results[name] = [...(results[name] ?? []), result];
      console.log(`  round ${round}  ${name.padEnd(20)} ${fmt(result)}  load ${loadavg()[0]?.toFixed(1)}`);
    }
  }
  const [anchor, ours, off] = Object.values(results) as [LoadResult[], LoadResult[], LoadResult[]];
  const med = (rs: LoadResult[], key: keyof LoadResult) => median(rs.map((r) => r[key]));
  console.log(
    `  median  anchor ${med(anchor, 'rps').toFixed(0)} req/s p99 ${med(anchor, 'p99').toFixed(2)} ms | ours ${med(ours, 'rps').toFixed(0)} req/s p99 ${med(ours, 'p99').toFixed(2)} ms`,
  );
  console.log(
    `  ratio   req/s ${((100 * med(ours, 'rps')) / med(anchor, 'rps')).toFixed(0)} % of the anchor (target >= 60 %), p99 ${(med(ours, 'p99') / med(anchor, 'p99')).toFixed(2)}x (target <= 2x)`,
  );
  console.log(
    `  metrics on / off: req/s ${med(ours, 'rps').toFixed(0)} / ${med(off, 'rps').toFixed(0)} (${((100 * med(ours, 'rps')) / med(off, 'rps')).toFixed(1)} %), p99 ${med(ours, 'p99').toFixed(2)} / ${med(off, 'p99').toFixed(2)} ms`,
  );
}

async function memory(bundle: string): Promise<void> {
  const dir = join(DATA, 'users-1M-videos-10k');
  const shape = { ...SCALE_DEFAULTS, videos: 10_000, users: 1_000_000, groups: 100 };
  if (!existsSync(join(dir, 'latest.json'))) {
    console.log(`\ngenerating ${dir} (1M users x 10k videos x 64 factors) ...`);
    await generateScaleModel(dir, shape, (line) => console.log(line));
  }
  console.log(
    '\nmemory: 1M users x 64 factors (users.bin preloaded, shared by every thread), after 5 s of load',
  );
  const rss: Record<string, number> = {};
  for (const workers of ['1', '2']) {
    const server = await startServer([bundle, 'serve'], { MODEL_URI: dir, WORKERS: workers });
    runWrk(server.url, shape.users, { seconds: 5, connections: 32, threads: 2, k: 10, workDir: DATA });
    rss[workers] = rssMiB(server.child.pid as number);
    await server.stop();
    console.log(
      `  ${workers} thread${workers === '1' ? ' ' : 's'}: RSS ${rss[workers]?.toFixed(0)} MiB (ready in ${(server.readyMs / 1000).toFixed(1)} s)`,
    );
  }
  console.log(
    `  ratio 2 threads / 1 thread: ${((rss['2'] ?? 0) / (rss['1'] ?? 1)).toFixed(2)}x (target <= 1.3x)`,
  );
}

if (!hasWrk()) {
  console.error('bench:serve needs wrk (Debian: apt-get install wrk)');
  process.exit(1);
}
const { file: bundle } = await buildServerBundle();
console.log(`bench:serve  node ${process.version}  bundle ${bundle}`);
for (const name of options.models.split(',')) {
  const model = prepareModel(name.trim());
  if (model) await throughput(bundle, model);
}
if (options.memory) await memory(bundle);

/**
 * `npm run bench:serve [-- --duration 10 --connections 32 --threads 2 --workers 1,2 --models sample,ml100k,synthetic]`
 *
 * Throughput and latency of the SageMaker container server as it ships (the production bundle, real
 * process, access log on), on loopback: random known users, k = 10, 2 load threads, 32 connections,
 * 10 s, as the original FastAPI figure in ../shared/EVAL.md (1,410 req/s, p99 53 ms) was measured.
 * The load generator is wrk when installed (as the reference used; a Lua script posts random-user
 * bodies) and autocannon otherwise (one thread); the output says which.
 * Models: the shipped sample (trained if artifacts/ has none), ML-100K (trained into bench/.data from
 * ../shared/data/ml-100k/u.data when that file exists; never copied) and a synthetic 100k-video model.
 * Also prints the resident memory of the server processes, to weigh one model copy per worker, and
 * the load average, since the load generator shares the machine's cores with the server.
 * @module
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Command } from 'commander';
import { buildServerBundle } from '../container/build.js';
import { decodeModel } from '../src/artifact/decode.js';
import { encodeModel } from '../src/artifact/encode.js';
import type { ModelData } from '../src/core/model-data.js';
import { publishModel } from '../src/store/publish.js';
import { freePort } from '../test/helpers/moto.js';
import { seededRandom } from '../test/helpers/tiny-model.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DATA = join(ROOT, 'bench/.data');
const ML100K = resolve(ROOT, '../shared/data/ml-100k/u.data');

const options = new Command('bench:serve')
  .option('--duration <s>', 'seconds of load per run', '10')
  .option('--connections <n>', 'concurrent connections', '32')
  .option('--threads <n>', 'load generator threads (wrk only)', '2')
  .option('--workers <list>', 'server process counts to compare', `1,${availableParallelism()}`)
  .option('--models <list>', 'sample, ml100k and/or synthetic', 'sample,ml100k,synthetic')
  .option('--videos <n>', 'videos in the synthetic model', '100000')
  .option('--users <n>', 'users in the synthetic model', '20000')
  .option('--factors <n>', 'factors of the synthetic model', '64')
  .option('--k <n>', 'recommendations per request', '10')
  .option('--autocannon', 'use autocannon even when wrk is installed')
  .parse()
  .opts<Record<string, string>>();

/** One measured run, whichever tool produced it. */
interface LoadResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
}

/** A synthetic model: uniform random factors, 20 seen videos per user, popularity from the seen sums. */
function syntheticModel(users: number, videos: number, factors: number): ModelData {
  const random = seededRandom(7);
  const seenPerUser = 20;
  const indptr = new Int32Array(users + 1);
  const indices = new Int32Array(users * seenPerUser);
  const popularity = new Float32Array(videos);
  for (let u = 0; u < users; u++) {
    const row = new Set<number>();
    while (row.size < seenPerUser) row.add(Math.floor(random() * videos));
    const sorted = [...row].sort((a, b) => a - b);
    indices.set(sorted, u * seenPerUser);
    for (const v of sorted) popularity[v] = (popularity[v] ?? 0) + 1;
    indptr[u + 1] = (u + 1) * seenPerUser;
  }
  const pad = (n: number, width: number): string => String(n).padStart(width, '0');
  return {
    factors,
    userIds: Array.from({ length: users }, (_, i) => `u${pad(i, 6)}`),
    videoIds: Array.from({ length: videos }, (_, i) => `v${pad(i, 6)}`),
    userFactors: Float32Array.from({ length: users * factors }, () => (random() - 0.5) * 0.2),
    itemFactors: Float32Array.from({ length: videos * factors }, () => (random() - 0.5) * 0.2),
    seen: { rows: users, cols: videos, indptr, indices, data: new Float32Array(indices.length).fill(1) },
    popularity,
    metadata: null,
  };
}

function train(out: string, extra: string[]): void {
  console.log(`training ${out} ...`);
  execFileSync(process.execPath, ['--import', 'tsx', 'training/cli.ts', '--out', out, '--quiet', ...extra], {
    cwd: ROOT,
    stdio: 'inherit',
  });
}

/** The latest model published under `dir`, decoded (verifies it too). */
function readModel(dir: string): ModelData {
  const pointer = JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')) as { manifest: string };
  const manifestPath = join(dir, pointer.manifest);
  const manifest: unknown = JSON.parse(readFileSync(manifestPath, 'utf8'));
  const bundle = readFileSync(join(manifestPath, '..', 'model.bin'));
  return decodeModel(manifest, bundle).model;
}

async function prepareModel(name: string): Promise<{ uri: string; userIds: string[]; label: string } | null> {
  if (name === 'sample' || name === 'ml100k') {
    const dir = name === 'sample' ? join(ROOT, 'artifacts') : join(DATA, 'ml100k');
    if (!existsSync(join(dir, 'latest.json'))) {
      if (name === 'sample') train('artifacts', []);
      else if (existsSync(ML100K)) {
        train(dir, [
          ...['--interactions', ML100K, '--layout', 'movielens', '--no-videos'],
          ...['--factors', '64', '--regularization', '0.05', '--iterations', '15'],
        ]);
      } else {
        console.log(`skipping ml100k: ${ML100K} not found`);
        return null;
      }
    }
    const model = readModel(dir);
    return {
      uri: dir,
      userIds: [...model.userIds],
      label: `${name} (${model.userIds.length} users, ${model.videoIds.length} videos, ${model.factors} f)`,
    };
  }
  const [users, videos, factors] = [Number(options.users), Number(options.videos), Number(options.factors)];
  const dir = join(DATA, `synthetic-${users}x${videos}x${factors}`);
  if (!existsSync(join(dir, 'latest.json'))) {
    mkdirSync(dir, { recursive: true });
    const params = {
      factors,
      regularization: 0.01,
      alpha: 1,
      iterations: 15,
      cgSteps: 3,
      threads: 1,
      seed: 42,
    };
    const model = syntheticModel(users, videos, factors);
    await publishModel(
      dir,
      encodeModel(model, { params, datasetDigest: 'bench-synthetic', createdAt: new Date(0) }),
    );
  }
  return {
    uri: dir,
    userIds: [...readModel(dir).userIds],
    label: `synthetic (${users} users, ${videos} videos, ${factors} f)`,
  };
}

function rssMb(pid: number): number {
  const ps = spawnSync('ps', ['-o', 'rss=', '--pid', String(pid), '--ppid', String(pid)], {
    encoding: 'utf8',
  });
  return ps.stdout.split('\n').reduce((sum, line) => sum + (Number(line.trim()) || 0), 0) / 1024;
}

async function startServerProcess(
  bundle: string,
  uri: string,
  workers: number,
): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [bundle, 'serve'], {
    env: {
      ...process.env,
      MODEL_URI: uri,
      PORT: String(port),
      HOST: '127.0.0.1',
      WORKERS: String(workers),
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  // Every worker must have its model before measuring: wait for a run of 200s across the workers.
  for (let ok = 0; ok < 10 * workers; ) {
    const status = await fetch(`${url}/ping`).then(
      (r) => r.status,
      () => 0,
    );
    ok = status === 200 ? ok + 1 : 0;
    if (Date.now() > deadline) throw new Error('server did not become ready in 120 s');
    if (status !== 200) await new Promise((r) => setTimeout(r, 200));
  }
  return { child, url };
}

function hasWrk(): boolean {
  return !options.autocannon && spawnSync('wrk', ['--version'], { encoding: 'utf8' }).error === undefined;
}

/**
 * wrk's Lua script: every thread formats one POST per user up front (so the hot path is a table
 * lookup), then picks a random user per request; `done` prints the figures as one JSON line.
 */
function wrkScript(idsFile: string, k: number): string {
  return `
local requests = {}
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end
function init(args)
  math.randomseed(11 + 7919 * (id or 0))
  local headers = { ["Content-Type"] = "application/json" }
  for id in io.lines("${idsFile}") do
    local body = '{"user_id":"' .. id .. '","k":${k}}'
    requests[#requests + 1] = wrk.format("POST", "/invocations", headers, body)
  end
end
function request()
  return requests[math.random(#requests)]
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK_JSON {"requests":%d,"micros":%d,"p50":%d,"p99":%d,"errors":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
`;
}

function loadWithWrk(url: string, userIds: string[], seconds: number): LoadResult {
  mkdirSync(DATA, { recursive: true });
  const idsFile = join(DATA, 'wrk-user-ids.txt');
  const script = join(DATA, 'wrk-invocations.lua');
  writeFileSync(idsFile, `${userIds.join('\n')}\n`);
  writeFileSync(script, wrkScript(idsFile, Number(options.k)));
  const run = spawnSync(
    'wrk',
    [
      ...['-t', options.threads ?? '2', '-c', options.connections ?? '32', '-d', `${seconds}s`],
      ...['--timeout', '5s', '-s', script, url],
    ],
    { encoding: 'utf8' },
  );
  const line = run.stdout.split('\n').find((l) => l.startsWith('WRK_JSON '));
  if (!line) throw new Error(`wrk failed: ${run.stderr || run.stdout}`);
  const r = JSON.parse(line.slice('WRK_JSON '.length)) as Record<string, number>;
  return {
    requestsPerSecond: (r.requests ?? 0) / ((r.micros ?? 1) / 1e6),
    p50: (r.p50 ?? 0) / 1000,
    p99: (r.p99 ?? 0) / 1000,
    errors: r.errors ?? 0,
  };
}

async function loadWithAutocannon(url: string, userIds: string[], seconds: number): Promise<LoadResult> {
  const k = Number(options.k);
  const random = seededRandom(11);
  const result = await autocannon({
    url,
    connections: Number(options.connections),
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path: '/invocations',
        headers: { 'content-type': 'application/json' },
        setupRequest: (request) => {
          const user = userIds[Math.floor(random() * userIds.length)];
          return { ...request, body: JSON.stringify({ user_id: user, k }) };
        },
      },
    ],
  });
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
  };
}

const useWrk = hasWrk();
const load = (url: string, userIds: string[], seconds: number): Promise<LoadResult> =>
  useWrk ? Promise.resolve(loadWithWrk(url, userIds, seconds)) : loadWithAutocannon(url, userIds, seconds);

const { file: bundle } = await buildServerBundle(resolve(ROOT, 'dist/container'));
const tool = useWrk
  ? `wrk (${options.threads} threads, ${options.connections} connections)`
  : `autocannon (1 thread, ${options.connections} connections; install wrk for the reference setting)`;
console.log(`bundle ${bundle}; ${availableParallelism()} cores; load generator: ${tool} on the same machine`);
const rows: string[] = [];
for (const name of options.models?.split(',') ?? []) {
  const model = await prepareModel(name);
  if (!model) continue;
  for (const workers of (options.workers ?? '1').split(',').map(Number)) {
    const server = await startServerProcess(bundle, model.uri, workers);
    await load(server.url, model.userIds, 2);
    const result = await load(server.url, model.userIds, Number(options.duration));
    const load1 = loadavg()[0] ?? 0;
    const memory = rssMb(server.child.pid ?? 0);
    const exited = new Promise((r) => server.child.once('exit', r));
    server.child.kill('SIGTERM');
    await exited;
    rows.push(
      `${model.label.padEnd(48)} workers ${String(workers).padStart(2)}  ` +
        `${Math.round(result.requestsPerSecond).toLocaleString('en-US').padStart(7)} req/s  ` +
        `p50 ${result.p50.toFixed(2).padStart(6)} ms  p99 ${result.p99.toFixed(2).padStart(6)} ms  ` +
        `errors ${result.errors}  rss ${memory.toFixed(0)} MB  load1 ${load1.toFixed(2)}`,
    );
    console.log(rows.at(-1));
  }
}
console.log(
  `\n${useWrk ? 'wrk' : 'autocannon'}: ${options.connections} connections, ${options.duration} s, k = ${options.k}, random known users`,
);
console.log(
  'reference (EVAL.md): original FastAPI 1,410 req/s, p50 21.7 ms, p99 53.1 ms on ML-100K; target >= 14,100 req/s at p99 < 10 ms',
);
for (const row of rows) console.log(row);

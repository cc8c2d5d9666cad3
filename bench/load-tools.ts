/**
 * What the serving benchmarks share: starting a server process and waiting for its model, loading it
 * with wrk (random users, one JSON line of figures per run), resident memory of a process, medians.
 * @module
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../tools/moto.js';

/** One wrk run. */
export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

/** A server under test. */
export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** ms from spawn to the first /ping 200 */
  readyMs: number;
  stop(): Promise<void>;
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0
    ? Number.NaN
    : s.length % 2
      ? (s[m] as number)
      : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

/** Resident memory of a process and its children, MiB. */
export function rssMiB(pid: number): number {
  const ps = spawnSync('ps', ['-o', 'rss=', '--pid', String(pid), '--ppid', String(pid)], {
    encoding: 'utf8',
  });
  return ps.stdout.split('\n').reduce((sum, line) => sum + (Number(line.trim()) || 0), 0) / 1024;
}

async function waitForPing(url: string, child: ChildProcess, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    const status = await fetch(`${url}/ping`, { headers: { connection: 'close' } }).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`no /ping 200 from ${url} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Starts `node ARGS` with PORT set and waits for /ping 200 (for the anchor, any answer). */
export async function startServer(
  args: readonly string[],
  env: Record<string, string>,
  readyWithinMs = 300_000,
): Promise<ServerProcess> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(
    process.execPath,
    args.map((a) => a.replace('{PORT}', String(port))),
    {
      env: {
        ...process.env,
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        ACCESS_LOG_SAMPLE: '0',
        ...env,
        PORT: String(port),
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForPing(url, child, readyWithinMs);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    child,
    url,
    readyMs: performance.now() - started,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** True when wrk is installed (Debian: apt-get install wrk). */
export function hasWrk(): boolean {
  return spawnSync('wrk', ['--version'], { encoding: 'utf8' }).error === undefined;
}

/**
 * wrk's Lua script: requests for random users, either from a list (formatted up front, so the hot
 * path is a table lookup) or `u<n>` for n below a count; `done` prints one JSON line.
 */
function wrkScript(users: { file: string } | { count: number }, k: number): string {
  const pick =
    'file' in users
      ? `local requests = {}
function init(args)
  math.randomseed(11 + 7919 * (id or 0))
  for user in io.lines("${users.file}") do
    requests[#requests + 1] = wrk.format("POST", "/invocations", headers, '{"user_id":"' .. user .. '","k":${k}}')
  end
end
function request() return requests[math.random(#requests)] end`
      : `function init(args) math.randomseed(11 + 7919 * (id or 0)) end
function request()
  return wrk.format("POST", "/invocations", headers, '{"user_id":"u' .. math.random(0, ${users.count - 1}) .. '","k":${k}}')
end`;
  return `headers = { ["Content-Type"] = "application/json" }
local threads = 0
function setup(thread) threads = threads + 1; thread:set("id", threads) end
${pick}
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK_JSON {"requests":%d,"micros":%d,"p50":%d,"p99":%d,"errors":%d,"non2xx":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
`;
}

/** Loads `url`/invocations with wrk for `seconds` at `connections` over `threads` load threads. */
export function runWrk(
  url: string,
  users: readonly string[] | number,
  options: { seconds: number; connections: number; threads: number; k: number; workDir: string },
): LoadResult {
  mkdirSync(options.workDir, { recursive: true });
  const script = join(options.workDir, 'wrk-invocations.lua');
  let source: { file: string } | { count: number };
  if (typeof users === 'number') source = { count: users };
  else {
    const file = join(options.workDir, 'wrk-user-ids.txt');
    writeFileSync(file, `${users.join('\n')}\n`);
    source = { file };
  }
  writeFileSync(script, wrkScript(source, options.k));
  const run = spawnSync(
    'wrk',
    [
      '-t',
      String(options.threads),
      '-c',
      String(options.connections),
      '-d',
      `${options.seconds}s`,
      '--timeout',
      '5s',
      '-s',
      script,
      url,
    ],
    { encoding: 'utf8' },
  );
  const line = run.stdout.split('\n').find((l) => l.startsWith('WRK_JSON '));
  if (!line) throw new Error(`wrk failed: ${run.stderr || run.stdout}`);
  const r = JSON.parse(line.slice('WRK_JSON '.length)) as Record<string, number>;
  return {
    rps: (r.requests ?? 0) / ((r.micros ?? 1) / 1e6),
    p50: (r.p50 ?? 0) / 1000,
    p99: (r.p99 ?? 0) / 1000,
    errors: (r.errors ?? 0) + (r.non2xx ?? 0),
  };
}

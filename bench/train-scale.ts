/**
 * `npm run bench:train-scale -- [--interactions 100000000] [--dir DIR] [--factors 64] [--iterations 2] [--keep]`
 *
 * Training input at data-lake scale. Writes a seeded synthetic event log (bench/scale-events.ts: skewed
 * users and videos, Hive partitions by day) as Snappy Parquet and as CSV.gz part files into a temporary
 * folder outside the project (or `--dir`), then measures, each in its own process so peak RSS is per
 * phase:
 *   - read rate (rows/s) of `readEvents` over the Parquet parts and over the CSV.gz parts, bytes held per
 *     interaction and peak RSS;
 *   - the training path on the Parquet parts: read, build the user x video matrix, ALS iterations at
 *     1 and 2 threads: s/iteration and the peak RSS of the whole run (bytes per interaction);
 * and extrapolates to 1B and 10B interactions (instance type, memory, time). Numbers, not assertions.
 * The machine is shared: timings are noisy; compare ratios within one run.
 * @module
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { ALS_DEFAULTS, trainAls } from '../src/als/index.js';
import { buildInteractions } from '../training/features.js';
import { residentBytes } from '../training/memory.js';
import { type EventLayout, readEvents } from '../training/read-events.js';
import { writeScaleEvents } from './scale-events.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const LAYOUT: EventLayout = {
  delimiter: ',',
  header: true,
  user: 'user_id',
  video: 'video_id',
  type: 'event_type',
  timestamp: 'event_time',
  timestampFormat: 'datetime',
};
const WEIGHTS = { watch: 1, complete: 3, like: 2 };

interface Options {
  interactions: string;
  dir?: string;
  factors: string;
  iterations: string;
  rowsPerPart: string;
  days: string;
  seed: string;
  keep: boolean;
  phase?: 'read' | 'train';
  input?: string;
}

const options = new Command('bench:train-scale')
  .option('--interactions <n>', 'events to generate', '100000000')
  .option('--dir <dir>', 'where the data goes (default: a folder in the OS temp dir; reused when complete)')
  .option('--factors <n>', 'ALS factors', '64')
  .option('--iterations <n>', 'ALS iterations timed per thread count', '2')
  .option('--rows-per-part <n>', 'rows per part file', '1000000')
  .option('--days <n>', 'day partitions', '30')
  .option('--seed <n>', 'generator seed', '42')
  .option('--keep', 'keep the generated data')
  .option('--phase <name>', '(internal) run one measured phase in this process')
  .option('--input <dir>', '(internal) the parts the phase reads')
  .parse()
  .opts<Options>();

const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const gb = (bytes: number): string => `${fmt(bytes / 1e9, 1)} GB`;

/** Phase `read`: readEvents over one format's parts. */
async function readPhase(input: string): Promise<Record<string, number>> {
  const started = performance.now();
  const read = await readEvents(input, { layout: LAYOUT, weights: WEIGHTS });
  const seconds = (performance.now() - started) / 1000;
  return {
    rows: read.bad.rows,
    seconds,
    heldBytes: read.heldBytes,
    users: read.userIds.length,
    videos: read.videoIds.length,
    peakRss: residentBytes().peak,
  };
}

/** Phase `train`: read, build the matrix, and time ALS iterations at 1 and 2 threads. */
async function trainPhase(
  input: string,
  factors: number,
  iterations: number,
): Promise<Record<string, number>> {
  let started = performance.now();
  const read = await readEvents(input, { layout: LAYOUT, weights: WEIGHTS });
  const readSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  const { matrix } = buildInteractions(read);
  const buildSeconds = (performance.now() - started) / 1000;
  const result: Record<string, number> = {
    rows: read.count,
    readSeconds,
    buildSeconds,
    pairs: matrix.indices.length,
    users: matrix.rows,
    videos: matrix.cols,
    rssAfterBuild: residentBytes().now,
  };
  for (const threads of [1, 2]) {
    const params = { ...ALS_DEFAULTS, factors, iterations, threads };
    const fit = await trainAls(matrix, params);
    const per = fit.secondsPerIteration;
    result[`secondsPerIteration${threads}`] = per.reduce((a, b) => a + b, 0) / Math.max(1, per.length);
  }
  result.peakRss = residentBytes().peak;
  return result;
}

function runPhase(phase: 'read' | 'train', input: string): Record<string, number> {
  const args = ['--import', 'tsx', 'bench/train-scale.ts', '--phase', phase, '--input', input];
  args.push('--factors', options.factors, '--iterations', options.iterations);
  const out = execFileSync(process.execPath, args, {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 1 << 24,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const last = out.trim().split('\n').pop() ?? '{}';
  return JSON.parse(last) as Record<string, number>;
}

/** SageMaker training instances (vCPU, memory GB) the extrapolation picks from. */
const INSTANCES: [string, number, number][] = [
  ['ml.m7i.4xlarge', 16, 64],
  ['ml.m7i.8xlarge', 32, 128],
  ['ml.r7i.8xlarge', 32, 256],
  ['ml.r7i.16xlarge', 64, 512],
  ['ml.r7i.24xlarge', 96, 768],
  ['ml.r7i.48xlarge', 192, 1536],
];
/** wasm32 addresses 4 GiB: the ALS arena (both confidence sides + factors) must fit in it. */
const WASM_ARENA_LIMIT = 4 * 2 ** 30;

function extrapolate(
  measured: {
    n: number;
    bytesPerInteraction: number;
    readRate: number;
    s1: number;
    s2: number;
    pairs: number;
  },
  factors: number,
): void {
  const efficiency = measured.s1 / (2 * measured.s2);
  console.log(
    `\nExtrapolation (linear in interactions; ${fmt(measured.bytesPerInteraction)} B/interaction peak RSS, ` +
      `read ${fmt(measured.readRate / 1e6, 2)}M rows per CPU second on one core, ALS efficiency ${fmt(efficiency * 100)}% at 2 threads held for more; 15 iterations):`,
  );
  console.log(
    'interactions  memory    instance (vCPU, GB)        read     s/iteration  15 iterations  ALS arena',
  );
  for (const n of [measured.n, 1e9, 1e10]) {
    const memory = measured.bytesPerInteraction * n * 1.25;
    const instance = INSTANCES.find(([, , ram]) => ram * 1e9 >= memory);
    const vcpu = instance?.[1] ?? 192;
    const perIteration = (measured.s2 * (n / measured.n) * 2) / (vcpu * Math.min(1, efficiency));
    const pairs = measured.pairs * (n / measured.n);
    const arena = pairs * 24 + (pairs / 10) * factors * 4;
    console.log(
      [
        `${fmt(n / 1e6)}M`.padStart(12),
        gb(memory).padStart(9),
        (instance ? `${instance[0]} (${instance[1]}, ${instance[2]})` : 'none: Spark ALS + import').padEnd(
          26,
        ),
        `${fmt(n / measured.readRate / 60, 1)} min`.padStart(9),
        `${fmt(perIteration, 1)} s`.padStart(12),
        `${fmt((perIteration * 15) / 60, 1)} min`.padStart(14),
        `${gb(arena)}${arena > WASM_ARENA_LIMIT ? ' > 4 GiB wasm32' : ''}`,
      ].join('  '),
    );
  }
}

async function main(): Promise<void> {
  if (options.phase) {
    const input = options.input as string;
    const cpuStart = process.cpuUsage();
    const wallStart = performance.now();
    const result =
      options.phase === 'read'
        ? await readPhase(input)
        : await trainPhase(input, Number(options.factors), Number(options.iterations));
    const cpu = process.cpuUsage(cpuStart);
    result.cpuSeconds = (cpu.user + cpu.system) / 1e6;
    result.wallSeconds = (performance.now() - wallStart) / 1000;
    console.log(JSON.stringify(result));
    return;
  }
  const n = Number(options.interactions);
  const dir = options.dir ?? join(tmpdir(), `train-scale-${n}-seed${options.seed}`);
  const marker = join(dir, 'written.json');
  if (!existsSync(marker)) {
    console.log(`Writing ${fmt(n)} events to ${dir} ...`);
    const started = performance.now();
    const written = writeScaleEvents(
      dir,
      {
        interactions: n,
        days: Number(options.days),
        rowsPerPart: Number(options.rowsPerPart),
        seed: Number(options.seed),
      },
      (line) => console.log(line),
    );
    const seconds = (performance.now() - started) / 1000;
    writeFileSync(marker, JSON.stringify({ ...written, seconds }));
  }
  const written = JSON.parse(readFileSync(marker, 'utf8')) as ReturnType<typeof writeScaleEvents> & {
    seconds: number;
  };
  console.log(
    `Data: ${fmt(n)} events, ${fmt(written.users)} users x ${fmt(written.videos)} videos, ${written.parts} parts per format; ` +
      `Parquet ${gb(written.parquetBytes)} (${fmt(written.parquetBytes / n, 1)} B/row), CSV.gz ${gb(written.csvBytes)} (${fmt(written.csvBytes / n, 1)} B/row); written in ${fmt(written.seconds)} s`,
  );

  console.log('\nRead (readEvents, one process each):');
  console.log(
    'format    rows/s        seconds  rows/CPU s    held B/interaction  peak RSS  peak B/interaction',
  );
  const reads: Record<string, Record<string, number>> = {};
  for (const [format, input] of [
    ['Parquet', written.parquetDir],
    ['CSV.gz', written.csvDir],
  ] as const) {
    const r = runPhase('read', input);
    reads[format] = r;
    const rows = r.rows as number;
    console.log(
      [
        format.padEnd(8),
        fmt(rows / (r.seconds as number)).padStart(12),
        fmt(r.seconds as number, 1).padStart(8),
        fmt(rows / (r.cpuSeconds as number)).padStart(11),
        fmt((r.heldBytes as number) / rows, 1).padStart(18),
        gb(r.peakRss as number).padStart(9),
        fmt((r.peakRss as number) / rows, 1).padStart(18),
      ].join('  '),
    );
  }

  console.log(`\nTrain path on the Parquet parts (read, build matrix, ALS factors ${options.factors}):`);
  const t = runPhase('train', written.parquetDir);
  console.log(
    `${fmt(t.rows as number)} events -> ${fmt(t.pairs as number)} pairs, ${fmt(t.users as number)} users x ${fmt(t.videos as number)} videos; ` +
      `read ${fmt(t.readSeconds as number, 1)} s, build ${fmt(t.buildSeconds as number, 1)} s, RSS after build ${gb(t.rssAfterBuild as number)}`,
  );
  console.log(
    `ALS: ${fmt(t.secondsPerIteration1 as number, 2)} s/iteration at 1 thread, ${fmt(t.secondsPerIteration2 as number, 2)} s at 2 threads; ` +
      `peak RSS ${gb(t.peakRss as number)} = ${fmt((t.peakRss as number) / (t.rows as number), 1)} B/interaction; ` +
      `${fmt(t.cpuSeconds as number)} CPU s over ${fmt(t.wallSeconds as number)} s wall (a loaded machine shows CPU s / wall < threads)`,
  );
  const parquetRead = reads.Parquet as Record<string, number>;
  extrapolate(
    {
      n,
      bytesPerInteraction: (t.peakRss as number) / (t.rows as number),
      readRate: (parquetRead.rows as number) / (parquetRead.cpuSeconds as number),
      s1: t.secondsPerIteration1 as number,
      s2: t.secondsPerIteration2 as number,
      pairs: t.pairs as number,
    },
    Number(options.factors),
  );
  if (!options.keep && !options.dir) rmSync(dir, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

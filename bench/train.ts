/**
 * `npm run bench:train`: quality and speed of training against the `implicit` library. Trains MovieLens
 * 100K with ../shared/EVAL.md's split for both settings at 1 and 2 threads, prints the metrics and
 * ms/iteration next to implicit's with the ratio, then times the synthetic 100k x 20k x 5M set.
 * With IMPLICIT_PYTHONPATH set (bench/implicit.ts), implicit runs on the same data in the same run,
 * alternating with ours; otherwise its figures are EVAL.md's reference table.
 *
 *   [IMPLICIT_PYTHONPATH=DIR] npm run bench:train -- [--only ml100k|synthetic] [--synthetic-iterations N]
 *     [--rounds N] [--data FILE]
 *
 * Numbers, not assertions: speed is never tested in test/. The machine is shared, so timings are noisy.
 * @module
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { ALS_DEFAULTS, type AlsResult, trainAls } from '../src/als/index.js';
import type { AlsParams, Csr } from '../src/core/model-data.js';
import { evaluateSplit } from '../training/evaluate.js';
import { buildInteractions } from '../training/features.js';
import { formatMetricsTable, type ReferenceFigures } from '../training/metrics-table.js';
import { readEvents } from '../training/read-events.js';
import { splitHoldout, testSetDigest } from '../training/split.js';
import { implicitSetup, runImplicit } from './implicit.js';
import { SYNTHETIC_DEFAULTS, syntheticInteractions } from './synthetic.js';

const ML100K = new URL('../../shared/data/ml-100k/u.data', import.meta.url).pathname;
const EXPECTED_SPLIT = {
  trainPairs: 80_367,
  testPairs: 19_633,
  testUsers: 943,
  sha256: '40493df58aa902eac8162bb17b2a6e260ccd5e815c127723145670d7e3d8d489',
};

interface Setting {
  name: string;
  params: AlsParams;
  reference: ReferenceFigures;
  referenceMs: Record<number, number>;
}

const SETTINGS: Setting[] = [
  {
    name: 'factors 64, reg 0.05, 15 iterations',
    params: { ...ALS_DEFAULTS, factors: 64, regularization: 0.05, iterations: 15, alpha: 1 },
    reference: {
      precision: 0.3452,
      map: 0.2104,
      ndcg: 0.3509,
      auc: 0.6026,
      plainPrecision: 0.2872,
      recall: 0.2093,
    },
    referenceMs: { 1: 22.0, 2: 15.3 },
  },
  {
    name: "factors 20, reg 0.1, 20 iterations (the original's)",
    params: { ...ALS_DEFAULTS, factors: 20, regularization: 0.1, iterations: 20, alpha: 1 },
    reference: { precision: 0.4165, map: 0.2713, ndcg: 0.4165, auc: 0.6169 },
    referenceMs: { 1: 22.2, 2: 11.9 },
  },
];
const POPULARITY_REFERENCE: ReferenceFigures = { precision: 0.2263, map: 0.1145, ndcg: 0.218, auc: 0.5549 };
const SYNTHETIC_REFERENCE_S: Record<number, number> = { 1: 1.9, 2: 1.0 };
const THREADS = [1, 2];
const implicit = implicitSetup();
/** Markdown rows of the speed summary printed at the end. */
const summary: string[] = [];

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function mb(kilobytes: number): string {
  return `${(kilobytes / 1024).toFixed(0)} MB`;
}

/** Per-iteration medians of one fit: wall ms, and process CPU ms (meaningful at 1 thread). */
interface Timing {
  ms: number;
  cpuMs: number;
}

async function oursTiming(matrix: Csr, params: AlsParams): Promise<Timing> {
  const cpu: number[] = [];
  let last = process.cpuUsage();
  const result = await trainAls(matrix, params, {
    onIteration(): void {
      const used = process.cpuUsage(last);
      cpu.push((used.user + used.system) / 1000);
      last = process.cpuUsage();
    },
  });
  return { ms: median(result.secondsPerIteration.map((s) => s * 1000)), cpuMs: median(cpu) };
}

/** One speed comparison: medians over rounds of each side's per-iteration medians, taken alternately. */
interface Speed {
  ours: Timing;
  implicit: Timing;
  /** Where implicit's figure comes from. */
  source: string;
}

async function compareSpeed(
  matrix: Csr,
  params: AlsParams,
  rounds: number,
  referenceMs: number | undefined,
): Promise<Speed> {
  const ours: Timing[] = [];
  const theirs: Timing[] = [];
  let blas = '';
  for (let round = 0; round < rounds; round++) {
    ours.push(await oursTiming(matrix, params));
    if (implicit) {
      const run = runImplicit(implicit, matrix, params, { threads: params.threads });
      theirs.push({ ms: median(run.ms), cpuMs: median(run.cpuMs) });
      blas = run.blas;
    }
  }
  const summary = (t: Timing[]): Timing => ({
    ms: median(t.map((x) => x.ms)),
    cpuMs: median(t.map((x) => x.cpuMs)),
  });
  if (implicit) return { ours: summary(ours), implicit: summary(theirs), source: `same run, ${blas}` };
  const reference = referenceMs ?? Number.NaN;
  return { ours: summary(ours), implicit: { ms: reference, cpuMs: reference }, source: 'EVAL.md reference' };
}

function speedLine(data: string, threads: number, speed: Speed, unit: 'ms' | 's'): string {
  const scale = unit === 's' ? 1000 : 1;
  const digits = unit === 's' ? 2 : 1;
  const show = (ms: number): string => `${(ms / scale).toFixed(digits)} ${unit}`;
  const ratio = speed.ours.ms / speed.implicit.ms;
  summary.push(
    `| ${data} | ${threads} | ${show(speed.ours.ms)} | ${show(speed.implicit.ms)} | ${ratio.toFixed(2)} | ${implicit ? 'same run' : 'EVAL.md'} |`,
  );
  const line = `threads ${threads}: ours ${show(speed.ours.ms)}/iteration, implicit ${show(speed.implicit.ms)} (${speed.source}): ratio ${ratio.toFixed(2)} (target <= 0.50: ${ratio <= 0.5 ? 'MET' : 'NOT MET'})`;
  if (threads !== 1 || !implicit) return line;
  // At 1 thread, CPU time is what a loaded machine disturbs least.
  const cpuRatio = speed.ours.cpuMs / speed.implicit.cpuMs;
  return `${line}\n           CPU time per iteration: ours ${show(speed.ours.cpuMs)}, implicit ${show(speed.implicit.cpuMs)}: ratio ${cpuRatio.toFixed(2)}`;
}

/** Our metrics table against implicit's figures (same run when available, else EVAL.md's). */
function qualityReport(split: Split, setting: Setting, model: AlsResult, theirs: ReferenceFigures): void {
  const evaluation = evaluateSplit(
    { factors: setting.params.factors, ...model },
    split.train,
    split.test,
    10,
  );
  console.log(formatMetricsTable(evaluation, 10, theirs));
  const pop = evaluation.popularity.find((row) => row.k === 10);
  if (pop) {
    const diffs = (['precision', 'map', 'ndcg', 'auc'] as const).map(
      (m) => `${m} ${pop[m].toFixed(4)} (ref ${POPULARITY_REFERENCE[m]?.toFixed(4)})`,
    );
    console.log(`most-popular baseline vs implicit's: ${diffs.join(', ')}`);
  }
  const als = evaluation.als.find((row) => row.k === 10);
  if (als) {
    const worst = Math.min(
      ...(['precision', 'map', 'ndcg'] as const).map((m) => als[m] - (theirs[m] ?? Number.NaN)),
    );
    console.log(
      `quality target (P, MAP, NDCG @10 within 0.01 of implicit or better): ${worst >= -0.01 ? 'MET' : 'NOT MET'} (worst ALS - ref = ${worst.toFixed(4)})`,
    );
  }
}

/** implicit's metrics on the same split in this run, or EVAL.md's figures. */
function implicitQuality(split: Split, setting: Setting): ReferenceFigures {
  if (!implicit) {
    console.log("implicit's figures: EVAL.md reference (set IMPLICIT_PYTHONPATH to run it here)");
    return setting.reference;
  }
  const run = runImplicit(
    implicit,
    split.train,
    { ...setting.params, threads: 1 },
    { writeFactors: true, threads: 1 },
  );
  const { userFactors, itemFactors } = run;
  if (!userFactors || !itemFactors) throw new Error('implicit wrote no factors');
  const als = evaluateSplit(
    { factors: setting.params.factors, userFactors, itemFactors },
    split.train,
    split.test,
    10,
  ).als.find((row) => row.k === 10);
  if (!als) throw new Error('no metrics at k = 10');
  const reference = setting.reference;
  const line = (['precision', 'map', 'ndcg', 'auc'] as const)
    .map((m) => `${m} ${als[m].toFixed(4)} (EVAL.md ${reference[m]?.toFixed(4)})`)
    .join(', ');
  console.log(`implicit on this split in this run (${run.blas}): ${line}`);
  return { precision: als.precision, map: als.map, ndcg: als.ndcg, auc: als.auc };
}

type Split = ReturnType<typeof splitHoldout>;

async function readSplit(file: string): Promise<Split> {
  const interactions = buildInteractions(await readEvents(file, { layout: 'movielens' }));
  const split = splitHoldout(interactions);
  const sha256 = testSetDigest(split.test, interactions.userIds, interactions.videoIds);
  const got = {
    trainPairs: split.trainPairs,
    testPairs: split.testPairs,
    testUsers: split.testUsers,
    sha256,
  };
  const same = JSON.stringify(got) === JSON.stringify(EXPECTED_SPLIT);
  console.log(
    `split: ${split.trainPairs} train / ${split.testPairs} test over ${split.testUsers} users, test sha256 ${sha256.slice(0, 16)}... ${same ? 'MATCHES EVAL.md' : `MISMATCH, expected ${JSON.stringify(EXPECTED_SPLIT)}`}`,
  );
  return split;
}

async function benchMovieLens(file: string, rounds: number): Promise<void> {
  console.log(`\n== MovieLens 100K (${file}) with EVAL.md's split ==`);
  const split = await readSplit(file);
  for (const setting of SETTINGS) {
    console.log(`\n-- ${setting.name}, alpha 1, cg steps ${setting.params.cgSteps} --`);
    const model = await trainAls(split.train, { ...setting.params, threads: 1 });
    qualityReport(split, setting, model, implicitQuality(split, setting));
    for (const threads of THREADS) {
      const params = { ...setting.params, threads };
      console.log(
        speedLine(
          `MovieLens 100K, factors ${setting.params.factors}`,
          threads,
          await compareSpeed(split.train, params, rounds, setting.referenceMs[threads]),
          'ms',
        ),
      );
    }
  }
}

async function benchSynthetic(iterations: number, rounds: number): Promise<void> {
  console.log(
    `\n== Synthetic ${SYNTHETIC_DEFAULTS.users} users x ${SYNTHETIC_DEFAULTS.items} items x ${SYNTHETIC_DEFAULTS.interactions} interactions, factors 64, ${iterations} iterations ==`,
  );
  const started = performance.now();
  const matrix = syntheticInteractions();
  console.log(
    `generated in ${((performance.now() - started) / 1000).toFixed(1)} s; max RSS so far ${mb(process.resourceUsage().maxRSS)}`,
  );
  for (const threads of THREADS) {
    const params: AlsParams = { ...ALS_DEFAULTS, factors: 64, regularization: 0.05, iterations, threads };
    const reference = (SYNTHETIC_REFERENCE_S[threads] ?? Number.NaN) * 1000;
    const speed = await compareSpeed(matrix, params, rounds, reference);
    console.log(speedLine('synthetic 100k x 20k x 5M, factors 64', threads, speed, 's'));
  }
  console.log(`peak memory (process.resourceUsage().maxRSS): ${mb(process.resourceUsage().maxRSS)}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      data: { type: 'string', default: ML100K },
      'synthetic-iterations': { type: 'string', default: '5' },
      rounds: { type: 'string', default: '3' },
    },
  });
  const iterations = Number(values['synthetic-iterations']);
  const rounds = Number(values.rounds);
  if (!Number.isInteger(iterations) || iterations < 1)
    throw new Error('--synthetic-iterations must be an integer >= 1');
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds must be an integer >= 1');
  console.log(
    `node ${process.version}, ${availableParallelism()} CPUs available (shared machine: timings are noisy); ${rounds} round(s) per timing, ours and implicit alternating, medians`,
  );
  console.log(
    implicit
      ? `implicit: ${implicit.python} with PYTHONPATH=${implicit.pythonPath}${process.env.OPENBLAS_CORETYPE ? `, OPENBLAS_CORETYPE=${process.env.OPENBLAS_CORETYPE}` : ''}`
      : "implicit: not configured (IMPLICIT_PYTHONPATH unset): EVAL.md's reference figures",
  );
  if (values.only !== 'synthetic') {
    if (existsSync(values.data)) await benchMovieLens(values.data, rounds);
    else
      console.log(
        `\nMovieLens 100K not found at ${values.data}: skipping the quality benchmark (never copied into the project).`,
      );
  }
  if (values.only !== 'ml100k') await benchSynthetic(iterations, rounds);
  console.log(
    `\nms (or s) per iteration, medians; ratio = ours / implicit (target <= 0.50)\n| data | threads | ours | implicit | ratio | implicit from |\n|---|---|---|---|---|---|\n${summary.join('\n')}`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});

/**
 * `npm run bench:train`: quality and speed of training against the `implicit` reference figures of
 * ../shared/EVAL.md. Trains MovieLens 100K with EVAL.md's split for both settings at 1 and 2 threads,
 * prints ms/iteration and the metrics next to implicit's, then times the synthetic 100k x 20k x 5M set.
 *
 *   npm run bench:train -- [--only ml100k|synthetic] [--synthetic-iterations N] [--data FILE]
 *
 * Numbers, not assertions: speed is never tested in test/. The machine is shared, so timings are noisy.
 * @module
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { ALS_DEFAULTS, trainAls } from '../src/als/index.js';
import type { AlsParams, Csr } from '../src/core/model-data.js';
import { evaluateSplit } from '../training/evaluate.js';
import { buildInteractions } from '../training/features.js';
import { formatMetricsTable, type ReferenceFigures } from '../training/metrics-table.js';
import { readEvents } from '../training/read-events.js';
import { splitHoldout, testSetDigest } from '../training/split.js';
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

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function mb(kilobytes: number): string {
  return `${(kilobytes / 1024).toFixed(0)} MB`;
}

async function timeTraining(
  matrix: Csr,
  params: AlsParams,
): Promise<{ msMean: number; msMedian: number; seconds: number }> {
  const started = performance.now();
  const result = await trainAls(matrix, params);
  const ms = result.secondsPerIteration.map((s) => s * 1000);
  return { msMean: mean(ms), msMedian: median(ms), seconds: (performance.now() - started) / 1000 };
}

async function benchMovieLens(file: string): Promise<void> {
  console.log(`\n== MovieLens 100K (${file}) with EVAL.md's split ==`);
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

  for (const setting of SETTINGS) {
    console.log(`\n-- ${setting.name}, alpha 1, cg steps ${setting.params.cgSteps} --`);
    const model = await trainAls(split.train, { ...setting.params, threads: 1 });
    const evaluation = evaluateSplit(
      { factors: setting.params.factors, ...model },
      split.train,
      split.test,
      10,
    );
    console.log(formatMetricsTable(evaluation, 10, setting.reference));
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
        ...(['precision', 'map', 'ndcg'] as const).map((m) => als[m] - (setting.reference[m] ?? Number.NaN)),
      );
      console.log(
        `quality target (P, MAP, NDCG @10 within 0.01 of implicit or better): ${worst >= -0.01 ? 'MET' : 'NOT MET'} (worst ALS - ref = ${worst.toFixed(4)})`,
      );
    }
    for (const threads of THREADS) {
      const timing = await timeTraining(split.train, { ...setting.params, threads });
      console.log(
        `threads ${threads}: ${timing.msMean.toFixed(1)} ms/iteration mean, ${timing.msMedian.toFixed(1)} median (implicit: ${setting.referenceMs[threads]} ms), whole fit ${timing.seconds.toFixed(2)} s`,
      );
    }
  }
}

async function benchSynthetic(iterations: number): Promise<void> {
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
    const timing = await timeTraining(matrix, params);
    console.log(
      `threads ${threads}: ${(timing.msMean / 1000).toFixed(2)} s/iteration mean, ${(timing.msMedian / 1000).toFixed(2)} median (implicit: ${SYNTHETIC_REFERENCE_S[threads]} s; target <= ${(2 * (SYNTHETIC_REFERENCE_S[threads] ?? 0)).toFixed(2)} s)`,
    );
  }
  console.log(`peak memory (process.resourceUsage().maxRSS): ${mb(process.resourceUsage().maxRSS)}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      data: { type: 'string', default: ML100K },
      'synthetic-iterations': { type: 'string', default: '5' },
    },
  });
  const iterations = Number(values['synthetic-iterations']);
  if (!Number.isInteger(iterations) || iterations < 1)
    throw new Error('--synthetic-iterations must be an integer >= 1');
  console.log(
    `node ${process.version}, ${availableParallelism()} CPUs available (shared machine: timings are noisy)`,
  );
  if (values.only !== 'synthetic') {
    if (existsSync(values.data)) await benchMovieLens(values.data);
    else
      console.log(
        `\nMovieLens 100K not found at ${values.data}: skipping the quality benchmark (never copied into the project).`,
      );
  }
  if (values.only !== 'ml100k') await benchSynthetic(iterations);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});

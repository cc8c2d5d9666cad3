/**
 * `npm run import -- --spark-als <model> --interactions <events> (--out | --s3)`: a Spark MLlib ALS model
 * (trained on EMR, Glue or Databricks) turned into our format-2 artifact, evaluated with our metrics and
 * published like `npm run train` (the pointer last), so both serving targets serve it.
 *
 * Ids: Spark's ALS takes integer user and item ids, so the Spark job is assumed to have used the
 * platform's integer ids as they are (`userId` 123 in the events is Spark id 123, and the served id is
 * "123"). The events (same options as `npm run train`) give each user's watch history and each video's
 * popularity; events on ids without Spark factors are counted and left out. Every Spark id is a model id.
 *
 * Evaluation: our held-out split (EVAL.md) of the events, ranked with the Spark factors. Held-out pairs
 * are only held out if the Spark job trained on the train part of that split (README: the PySpark
 * lines); say so with `sparkHoldout`, else the metrics are labelled in-sample.
 * @module
 */

import { encodeModel } from '../src/artifact/index.js';
import { csrFromTriples } from '../src/core/csr.js';
import { InputInvalidError } from '../src/core/errors.js';
import type { AlsParams, ModelData } from '../src/core/model-data.js';
import { videoPopularity } from '../src/core/popularity.js';
import { type Evaluation, evaluateSplit } from './evaluate.js';
import type { Interactions } from './features.js';
import { formatMetricsTable, metricsForManifest } from './metrics-table.js';
import { renderReport } from './report.js';
import { HEADLINE_K, REPORT_MAX_K, type TrainingOptions, type TrainingReporter } from './run-options.js';
import { readSparkAls, type SparkAlsModel, type SparkFactors } from './spark-model.js';
import { type Split, splitHoldout } from './split.js';
import type { Published } from './stages.js';
import {
  describeWeighting,
  destinationsOf,
  type Packaged,
  publishArtifact,
  readData,
  reportSplit,
  type TrainingData,
} from './stages.js';

/** Options of an import: those of a training run, plus where the Spark model is. */
export interface SparkImportOptions extends TrainingOptions {
  /** the folder `ALSModel.save()` wrote: local or s3:// */
  sparkAls: string;
  /** the Spark job trained on the train part of our split, so the held-out pairs are unseen */
  sparkHoldout?: boolean | undefined;
}

/** What an import produced. */
export interface SparkImportOutcome extends Published {
  model: ModelData;
  packaged: Packaged;
  evaluation: Evaluation | undefined;
  /** events left out because their user or video has no Spark factors */
  unmatchedEvents: { users: number; videos: number };
}

const CANONICAL_INT = /^-?(0|[1-9][0-9]{0,9})$/;

/** Spark's id of one of our ids: its value when it is a canonical int32, else undefined. */
export function sparkIdOf(id: string): number | undefined {
  if (!CANONICAL_INT.test(id)) return undefined;
  const value = Number(id);
  return value >= -2147483648 && value <= 2147483647 ? value : undefined;
}

function codeUnitOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** One side of the model: ids as text in code-unit order, factors in that order, Spark id -> row. */
interface Side {
  ids: string[];
  factors: Float32Array;
  rowOf: Map<number, number>;
}

function sideOf(spark: SparkFactors, rank: number): Side {
  const ids = Array.from(spark.ids, String);
  const order = ids.map((_, i) => i).sort((a, b) => codeUnitOrder(ids[a] as string, ids[b] as string));
  const factors = new Float32Array(order.length * rank);
  const rowOf = new Map<number, number>();
  order.forEach((from, to) => {
    factors.set(spark.factors.subarray(from * rank, (from + 1) * rank), to * rank);
    rowOf.set(spark.ids[from] as number, to);
  });
  return { ids: order.map((i) => ids[i] as string), factors, rowOf };
}

/** Our events' matrix moved onto the Spark model's rows and columns; events on unknown ids counted. */
function seenOnSpark(
  interactions: Interactions,
  users: Side,
  videos: Side,
): {
  matrix: Interactions['matrix'];
  unmatched: { users: number; videos: number };
} {
  const { matrix } = interactions;
  const rowOf = interactions.userIds.map((id) => users.rowOf.get(sparkIdOf(id) ?? Number.NaN) ?? -1);
  const colOf = interactions.videoIds.map((id) => videos.rowOf.get(sparkIdOf(id) ?? Number.NaN) ?? -1);
  const r: number[] = [];
  const c: number[] = [];
  const v: number[] = [];
  const unmatched = { users: 0, videos: 0 };
  for (let u = 0; u < matrix.rows; u++) {
    for (let p = matrix.indptr[u] as number; p < (matrix.indptr[u + 1] as number); p++) {
      const row = rowOf[u] as number;
      const col = colOf[matrix.indices[p] as number] as number;
      if (row < 0) unmatched.users++;
      else if (col < 0) unmatched.videos++;
      else {
        r.push(row);
        c.push(col);
        v.push(matrix.data[p] as number);
      }
    }
  }
  if (r.length === 0) {
    throw new InputInvalidError(
      `No event matches the Spark model's ids: the importer expects the Spark job to have used the events' integer user and video ids (e.g. userId 123 is Spark id 123); first event ids: ${interactions.userIds[0]}, ${interactions.videoIds[0]}`,
    );
  }
  return { matrix: csrFromTriples(users.ids.length, videos.ids.length, r, c, v), unmatched };
}

function importParams(options: SparkImportOptions, spark: SparkAlsModel): AlsParams {
  // Spark keeps its training parameters with the estimator, not the model: the rank is the model's; the
  // regularization and alpha recorded are the ones given here (serving's fold-in uses them).
  return { ...options.params, factors: spark.rank };
}

function evaluate(
  options: SparkImportOptions,
  model: ModelData,
  reporter: TrainingReporter,
): { split: Split; evaluation: Evaluation } | undefined {
  if (!options.evaluate) return undefined;
  const split = splitHoldout(
    { userIds: model.userIds, videoIds: model.videoIds, matrix: model.seen },
    options.splitSeed,
  );
  if (split.testPairs === 0) {
    reporter.info?.('Evaluation skipped: no user has the 5 or more interactions the holdout needs.');
    return undefined;
  }
  const evaluation = evaluateSplit(model, split.train, split.test, REPORT_MAX_K);
  const seen = options.sparkHoldout
    ? 'held out of the Spark job'
    : 'in-sample: the Spark job may have trained on them';
  reporter.info?.(
    `Evaluation on ${split.testPairs} held-out pairs (${seen}):\n${formatMetricsTable(evaluation, HEADLINE_K)}\n`,
  );
  return { split, evaluation };
}

function manifestMetrics(
  options: SparkImportOptions,
  spark: SparkAlsModel,
  evaluated: { split: Split; evaluation: Evaluation } | undefined,
): Record<string, unknown> {
  const source = {
    trainedOn: 'spark',
    sparkModel: spark.uri,
    sparkVersion: spark.metadata?.sparkVersion,
    heldOutPairsSeenBySpark: !options.sparkHoldout,
  };
  if (!evaluated)
    return {
      evaluated: false,
      reason: options.evaluate ? 'no user with 5 pairs' : 'evaluation disabled (--no-eval)',
      ...source,
    };
  const protocol = { ...reportSplit(evaluated.split) };
  return { ...metricsForManifest(evaluated.evaluation, HEADLINE_K, protocol), ...source };
}

async function packageImport(
  options: SparkImportOptions,
  data: TrainingData,
  spark: SparkAlsModel,
  reporter: TrainingReporter,
): Promise<{
  packaged: Packaged;
  evaluation: Evaluation | undefined;
  unmatched: { users: number; videos: number };
}> {
  const users = sideOf(spark.users, spark.rank);
  const videos = sideOf(spark.items, spark.rank);
  const { matrix: seen, unmatched } = seenOnSpark(data.interactions, users, videos);
  reporter.info?.(
    `Spark model ${spark.uri}: rank ${spark.rank}, ${users.ids.length} users x ${videos.ids.length} videos; ${seen.indices.length} (user, video) pairs matched, events left out: ${unmatched.users} on users and ${unmatched.videos} on videos without Spark factors`,
  );
  const metadataOf = new Map(data.interactions.videoIds.map((id, i) => [id, data.metadata?.[i] ?? null]));
  const model: ModelData = {
    factors: spark.rank,
    userIds: users.ids,
    videoIds: videos.ids,
    userFactors: users.factors,
    itemFactors: videos.factors,
    seen,
    popularity: videoPopularity(seen),
    metadata: data.metadata ? videos.ids.map((id) => metadataOf.get(id) ?? null) : null,
  };
  const evaluated = evaluate(options, model, reporter);
  const params = importParams(options, spark);
  const artifact = encodeModel(model, {
    params,
    datasetDigest: data.interactions.digest,
    metrics: manifestMetrics(options, spark, evaluated),
    events: data.interactions.events,
    createdAt: options.createdAt,
  });
  const { split } = evaluated ?? {};
  const report = await renderReport({
    version: artifact.manifest.version,
    createdAt: artifact.manifest.createdAt,
    params: { ...params, weighting: describeWeighting(undefined) },
    counts: {
      events: data.interactions.events,
      'bad rows': data.events.bad.count,
      users: users.ids.length,
      videos: videos.ids.length,
      'user-video pairs': seen.indices.length,
      'events on users without Spark factors': unmatched.users,
      'events on videos without Spark factors': unmatched.videos,
    },
    dataset: { interactions: options.interactions, videos: options.videos, digest: data.interactions.digest },
    split: split && reportSplit(split),
    evaluation: evaluated?.evaluation,
    popularity: model.popularity,
    summaryK: HEADLINE_K,
    notes: [
      `Factors imported from the Spark ALS model ${spark.uri} (rank ${spark.rank}).`,
      options.sparkHoldout
        ? 'The Spark job trained on the train part of this split: the metrics are held out.'
        : 'The Spark job may have trained on the held-out pairs: the metrics are in-sample (optimistic).',
    ],
  });
  return { packaged: { model, artifact, report }, evaluation: evaluated?.evaluation, unmatched };
}

/**
 * Imports a Spark ALS model with the events it was trained on and publishes the artifact.
 * @param options - the Spark model, the events (with the training run's column options), destinations
 * @param reporter - progress lines
 * @throws InputInvalidError for an unreadable model or events, or when no event matches a Spark id
 * @example
 * await runSparkImport({ ...options, sparkAls: 's3://lake/models/als', interactions: 's3://lake/events/', s3: 's3://models/prod' });
 */
export async function runSparkImport(
  options: SparkImportOptions,
  reporter: TrainingReporter = {},
): Promise<SparkImportOutcome> {
  const destinations = destinationsOf(options);
  const s3 = { s3Client: options.s3Client, forcePathStyle: options.forcePathStyle };
  const spark = await readSparkAls(options.sparkAls, s3);
  const data = await readData(options, reporter);
  const { packaged, evaluation, unmatched } = await packageImport(options, data, spark, reporter);
  const published = await publishArtifact(options, destinations, packaged, reporter);
  return { ...published, model: packaged.model, packaged, evaluation, unmatchedEvents: unmatched };
}

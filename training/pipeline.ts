/**
 * The training run behind `npm run train`, callable from tests and other scripts: read events (and
 * videos) -> interactions -> held-out split -> ALS on the train part -> evaluation against the
 * most-popular baseline -> retrain on all data -> encode -> publish locally and/or to S3 with
 * `report.html` beside the artifacts.
 * @module
 */
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { type IterationInfo, trainAls } from '../src/als/train.js';
import { type EncodedArtifact, encodeModel } from '../src/artifact/encode.js';
import type { AlsParams, Csr, ModelData, VideoMeta } from '../src/core/model-data.js';
import { videoPopularity } from '../src/core/popularity.js';
import { type PublishResult, publishModel } from '../src/store/publish.js';
import { formatBadRows } from './bad-rows.js';
import { type Evaluation, evaluateSplit } from './evaluate.js';
import { buildInteractions, type Interactions } from './features.js';
import { formatMetricsTable, metricsForManifest } from './metrics-table.js';
import { type EventLayout, type EventLayoutName, readEvents } from './read-events.js';
import { readVideos } from './read-videos.js';
import { renderReport } from './report.js';
import { SPLIT_RULE, type Split, splitHoldout } from './split.js';
import { createSageMakerTarball, type TarballResult } from './tarball.js';

/** The cut-off shown in the printed table and the manifest headline. */
export const HEADLINE_K = 10;
/** Metrics are computed at k = 1..REPORT_MAX_K for the report. */
export const REPORT_MAX_K = 20;

/** Everything a training run needs; the CLI fills it from its options. */
export interface TrainingOptions {
  interactions: string;
  videos?: string | undefined;
  layout: EventLayoutName | EventLayout;
  /** value per interaction type, replacing the value column */
  weights?: Readonly<Record<string, number>> | undefined;
  /** local artifacts root; at least one of `out` and `s3` */
  out?: string | undefined;
  /** `s3://bucket/prefix` */
  s3?: string | undefined;
  params: AlsParams;
  splitSeed: number;
  maxBadRowsRatio: number;
  /** retrain on all data after evaluation (the published model); else publish the train-part model */
  retrain: boolean;
  evaluate: boolean;
  /** also write SageMaker's model.tar.gz under `<out>/sagemaker/<version>/` (needs `out`) */
  sagemakerTarball?: boolean | undefined;
  /** S3 client for `s3` (tests); default: the store's standard client */
  s3Client?: S3Client | undefined;
  forcePathStyle?: boolean | undefined;
  /** fixed creation time (reproducible version ids in tests) */
  createdAt?: Date | undefined;
}

/** Where the run reports progress; every method is optional. */
export interface TrainingReporter {
  /** a human-readable line (the CLI prints it to stdout unless --quiet) */
  info?(line: string): void;
  /** ALS is about to run `total` iterations; `label` says which fit */
  fitStart?(label: string, total: number): void;
  iteration?(info: IterationInfo): void;
  fitEnd?(): void;
}

/** What a run produced. */
export interface TrainingOutcome {
  artifact: EncodedArtifact;
  published: PublishResult[];
  report: string;
  tarball: TarballResult | undefined;
  evaluation: Evaluation | undefined;
  split: Split | undefined;
  interactions: Interactions;
  losses: { evaluation: number[] | undefined; final: number[] };
}

async function trainFactors(
  matrix: Csr,
  params: AlsParams,
  label: string,
  reporter: TrainingReporter,
): Promise<{ userFactors: Float32Array; itemFactors: Float32Array; losses: number[] }> {
  reporter.fitStart?.(label, params.iterations);
  try {
    const result = await trainAls(matrix, params, {
      computeLoss: true,
      onIteration: (info) => reporter.iteration?.(info),
    });
    return result;
  } finally {
    reporter.fitEnd?.();
  }
}

/**
 * Runs a whole training: read, split, train, evaluate, retrain, encode, publish, report.
 * @param options - inputs, destinations and hyper-parameters
 * @param reporter - progress sink (the CLI's progress bar and log lines)
 * @throws InputInvalidError for unusable input (with file and line numbers), ConfigInvalidError for bad options
 */
export async function runTraining(
  options: TrainingOptions,
  reporter: TrainingReporter = {},
): Promise<TrainingOutcome> {
  const info = (line: string): void => reporter.info?.(line);
  const destinations = [options.out, options.s3].filter((d): d is string => d !== undefined && d !== '');
  if (destinations.length === 0) throw new RangeError('runTraining needs an output directory or an S3 URI');
  if (options.sagemakerTarball && !options.out)
    throw new RangeError('a SageMaker tarball needs an output directory');

  const events = await readEvents(options.interactions, {
    layout: options.layout,
    weights: options.weights,
    maxBadFraction: options.maxBadRowsRatio,
  });
  info(formatBadRows(options.interactions, events.bad));
  const interactions = buildInteractions(events);
  const matrix = interactions.matrix;
  info(
    `${interactions.events} events -> ${matrix.indices.length} (user, video) pairs, ${matrix.rows} users x ${matrix.cols} videos`,
  );

  let metadata: (VideoMeta | null)[] | null = null;
  if (options.videos) {
    const videos = await readVideos(options.videos, interactions.videoIds, {
      maxBadFraction: options.maxBadRowsRatio,
    });
    metadata = videos.metadata;
    info(`${options.videos}: metadata for ${videos.matched} of ${matrix.cols} videos`);
  }

  let split: Split | undefined;
  let evaluation: Evaluation | undefined;
  let evaluationLosses: number[] | undefined;
  let published: { userFactors: Float32Array; itemFactors: Float32Array; losses: number[] } | undefined;
  let skipReason: string | undefined;
  if (options.evaluate) {
    split = splitHoldout(interactions, options.splitSeed);
    if (split.testPairs === 0) {
      skipReason = 'no user has the 5 or more interactions the holdout needs';
      info(`Evaluation skipped: ${skipReason}.`);
      split = undefined;
    } else {
      info(
        `Split (seed ${split.seed}): ${split.trainPairs} train / ${split.testPairs} held-out pairs over ${split.testUsers} users`,
      );
      const model = await trainFactors(split.train, options.params, 'ALS on train part', reporter);
      evaluationLosses = model.losses;
      evaluation = evaluateSplit(
        { factors: options.params.factors, ...model },
        split.train,
        split.test,
        REPORT_MAX_K,
      );
      info(`\n${formatMetricsTable(evaluation, HEADLINE_K)}\n`);
      if (!options.retrain) published = model;
    }
  }
  published ??= await trainFactors(matrix, options.params, 'ALS on all data', reporter);

  const model: ModelData = {
    factors: options.params.factors,
    userIds: interactions.userIds,
    videoIds: interactions.videoIds,
    userFactors: published.userFactors,
    itemFactors: published.itemFactors,
    seen: matrix,
    popularity: videoPopularity(matrix),
    metadata,
  };
  const protocol = split
    ? {
        rule: SPLIT_RULE,
        seed: split.seed,
        trainPairs: split.trainPairs,
        testPairs: split.testPairs,
        testUsers: split.testUsers,
      }
    : undefined;
  const metrics: Record<string, unknown> =
    evaluation && protocol
      ? metricsForManifest(evaluation, HEADLINE_K, protocol)
      : { evaluated: false, reason: skipReason ?? 'evaluation disabled (--no-eval)' };
  metrics.trainedOn = split && !options.retrain ? 'train part' : 'all data';
  metrics.lossPerIteration = published.losses;
  const artifact = encodeModel(model, {
    params: options.params,
    datasetDigest: interactions.digest,
    metrics,
    events: interactions.events,
    createdAt: options.createdAt,
  });

  const report = renderReport({
    version: artifact.manifest.version,
    createdAt: artifact.manifest.createdAt,
    params: options.params,
    counts: {
      events: interactions.events,
      'bad rows': events.bad.count,
      users: matrix.rows,
      videos: matrix.cols,
      'user-video pairs': matrix.indices.length,
      ...(metadata ? { 'videos with metadata': metadata.filter((m) => m !== null).length } : {}),
    },
    dataset: { interactions: options.interactions, videos: options.videos, digest: interactions.digest },
    split: protocol,
    evaluationLosses,
    finalLosses: evaluationLosses === published.losses ? undefined : published.losses,
    evaluation,
    popularity: model.popularity,
    summaryK: HEADLINE_K,
    notes: skipReason ? [`Evaluation skipped: ${skipReason}.`] : [],
  });

  const results: PublishResult[] = [];
  for (const destination of destinations) {
    const result = await publishModel(
      destination,
      artifact,
      { 'report.html': report },
      {
        s3: options.s3Client,
        forcePathStyle: options.forcePathStyle,
      },
    );
    results.push(result);
    info(
      `Published ${result.version} to ${result.uri} (report: ${result.manifestUri.replace(/manifest\.json$/, 'report.html')})`,
    );
  }
  let tarball: TarballResult | undefined;
  if (options.sagemakerTarball && options.out) {
    const version = artifact.manifest.version;
    tarball = await createSageMakerTarball(
      options.out,
      join(options.out, 'sagemaker', version, 'model.tar.gz'),
      version,
    );
    info(
      `SageMaker model data: ${tarball.file} (${tarball.bytes} bytes; upload it and pass its s3:// URI to deploy:sagemaker --model-data-url)`,
    );
  }
  return {
    artifact,
    published: results,
    report,
    tarball,
    evaluation,
    split,
    interactions,
    losses: { evaluation: evaluationLosses, final: published.losses },
  };
}

/**
 * The stages of a training run, each a function from typed values to typed values:
 *
 *   read -> prepare -> evaluate -> fit -> package -> publish
 *
 * {@link readData} turns files into interactions, {@link prepareHoldout} holds out the evaluation split,
 * {@link evaluateOnHoldout} fits the train part and scores it against the most-popular baseline,
 * {@link fitModel} gives the factors to publish, {@link packageArtifact} encodes the artifact and renders
 * the report, {@link publishArtifact} writes them to every destination.
 * `runTraining` in pipeline.ts composes them.
 * @module
 */
import { join } from 'node:path';
import { fitWeighting, trainAls, weightingOf, weightMatrix } from '../src/als/index.js';
import { type EncodedArtifact, encodeModel } from '../src/artifact/index.js';
import { InputInvalidError } from '../src/core/errors.js';
import type {
  ColdVideos,
  Csr,
  FittedWeighting,
  ModelData,
  VideoMeta,
  Weighting,
} from '../src/core/model-data.js';
import { videoPopularity } from '../src/core/popularity.js';
import { type PublishResult, publishModel } from '../src/store/index.js';
import { formatBadRows } from './bad-rows.js';
import { openFitCheckpoint } from './checkpoint.js';
import { type Evaluation, evaluateSplit } from './evaluate.js';
import { buildInteractions, type Interactions } from './features.js';
import { memoryLine } from './memory.js';
import { formatMetricsTable, metricsForManifest } from './metrics-table.js';
import { type EventsRead, readEvents } from './read-events.js';
import { readVideos } from './read-videos.js';
import { type ReportInput, type ReportSplit, renderReport } from './report.js';
import { HEADLINE_K, REPORT_MAX_K, type TrainingOptions, type TrainingReporter } from './run-options.js';
import { type Split, splitOf, splitRule } from './split.js';
import { createSageMakerTarball, type TarballResult } from './tarball.js';
import { type TuneResult, tuneHyperparameters } from './tune.js';
import { tuningForManifest } from './tuning-report.js';

/** `read`: the valid events, the interaction matrix built from them, and the videos' metadata. */
export interface TrainingData {
  events: EventsRead;
  interactions: Interactions;
  /** per video (matrix column), or null without a videos file */
  metadata: (VideoMeta | null)[] | null;
  /** videos of the videos file without interactions, when there are any */
  coldVideos?: ColdVideos | undefined;
}

/** A weighting as the report shows it, e.g. `bm25 (K1 100, B 0.8)`. */
export function describeWeighting(weighting: Weighting | undefined): string {
  if (!weighting || weighting.scheme === 'none') return 'none';
  return weighting.scheme === 'bm25' ? `bm25 (K1 ${weighting.k1}, B ${weighting.b})` : weighting.scheme;
}

/** `prepare`: the held-out split, or why there is none. */
export type Holdout =
  | { status: 'split'; split: Split }
  | { status: 'disabled' }
  | { status: 'impossible'; reason: string };

/** Factors of one ALS fit, its loss per iteration, and the weighting fitted to the matrix it trained on. */
export interface Factors {
  userFactors: Float32Array;
  itemFactors: Float32Array;
  losses: number[];
  weighting: FittedWeighting;
}

/** The settings a fit uses: the options', or the tuner's choice. */
export type FitSettings = Pick<TrainingOptions, 'params' | 'weighting'>;

/** Where each fit checkpoints its iterations (`--checkpoint-dir`), when anywhere. */
export type Checkpointing = Pick<TrainingOptions, 'checkpointDir'>;

/** `evaluate`: the fit on the train part and its metrics against the baseline. */
export interface Evaluated {
  split: Split;
  model: Factors;
  evaluation: Evaluation;
}

/** `fit`: the factors to publish and what they were trained on. */
export interface Fitted {
  model: Factors;
  trainedOn: 'train part' | 'all data';
}

/** `package`: the encoded artifact, the model it encodes and the report published beside it. */
export interface Packaged {
  model: ModelData;
  artifact: EncodedArtifact;
  report: string;
}

/** `tune`: the search and the settings it chose. */
export interface Tuned {
  result: TuneResult;
  settings: Required<FitSettings>;
}

/** What the stages before `package` produced. */
export interface StageResults {
  holdout: Holdout;
  /** the settings the published model was fitted with (default: the options') */
  settings?: FitSettings | undefined;
  tuned?: Tuned | undefined;
  evaluated: Evaluated | undefined;
  fitted: Fitted;
}

/** `publish`: one result per destination, and the SageMaker tarball when asked. */
export interface Published {
  published: PublishResult[];
  tarball: TarballResult | undefined;
}

/** The run's destinations, checked before any work: `out` and/or `s3`, and `out` for a tarball. */
export function destinationsOf(options: TrainingOptions): string[] {
  const destinations = [options.out, options.s3].filter((d): d is string => d !== undefined && d !== '');
  if (destinations.length === 0) throw new RangeError('runTraining needs an output directory or an S3 URI');
  if (options.sagemakerTarball && !options.out)
    throw new RangeError('a SageMaker tarball needs an output directory');
  return destinations;
}

/**
 * Stage `read`: reads the events (and videos) files and sums the events into the interaction matrix.
 * @throws InputInvalidError for unusable input, with file and line numbers
 */
export async function readData(
  options: TrainingOptions,
  reporter: TrainingReporter = {},
): Promise<TrainingData> {
  const s3 = { s3Client: options.s3Client, forcePathStyle: options.forcePathStyle };
  const events = await readEvents(options.interactions, {
    layout: options.layout,
    weights: options.weights,
    maxBadFraction: options.maxBadRowsRatio,
    ...s3,
  });
  reporter.info?.(formatBadRows(options.interactions, events.bad));
  const interactions = buildInteractions(events);
  const { matrix } = interactions;
  reporter.info?.(
    `${interactions.events} events -> ${matrix.indices.length} (user, video) pairs, ${matrix.rows} users x ${matrix.cols} videos`,
  );
  reporter.info?.(memoryLine(events.count, events.heldBytes));
  if (!options.videos) return { events, interactions, metadata: null };
  const videos = await readVideos(options.videos, interactions.videoIds, {
    maxBadFraction: options.maxBadRowsRatio,
    ...s3,
  });
  const cold = videos.cold.ids.length;
  reporter.info?.(
    `${options.videos}: metadata for ${videos.matched} of ${matrix.cols} videos${cold > 0 ? `, and ${cold} videos without interactions (similar videos by metadata)` : ''}`,
  );
  return {
    events,
    interactions,
    metadata: videos.metadata,
    ...(cold > 0 ? { coldVideos: videos.cold } : {}),
  };
}

/** Stage `prepare`: holds out the evaluation split, unless evaluation is off or no user has enough pairs. */
export function prepareHoldout(
  options: Pick<TrainingOptions, 'evaluate' | 'splitSeed' | 'split'>,
  data: TrainingData,
  reporter: TrainingReporter = {},
): Holdout {
  if (!options.evaluate) return { status: 'disabled' };
  const kind = options.split ?? 'random';
  const { lastTimestamp } = data.interactions;
  if (kind === 'time' && lastTimestamp.some((t) => Number.isNaN(t)))
    throw new InputInvalidError(
      '--split time needs a timestamp on every event, and this input has none (give --timestamp-column)',
    );
  const split = splitOf(kind, data.interactions, options.splitSeed);
  if (split.testPairs === 0) {
    const reason = 'no user has the 5 or more interactions the holdout needs';
    reporter.info?.(`Evaluation skipped: ${reason}.`);
    return { status: 'impossible', reason };
  }
  reporter.info?.(
    `Split (${split.kind}, seed ${split.seed}): ${split.trainPairs} train / ${split.testPairs} held-out pairs over ${split.testUsers} users`,
  );
  return { status: 'split', split };
}

/** Weighs `matrix` as the settings say and trains ALS on it. */
async function trainFactors(
  matrix: Csr,
  settings: FitSettings & Checkpointing,
  label: string,
  reporter: TrainingReporter,
): Promise<Factors> {
  const { params, checkpointDir } = settings;
  const weighting = fitWeighting(matrix, settings.weighting ?? { scheme: 'none' });
  const weighted = weightMatrix(matrix, weighting);
  // The weighted matrix is what the factors depend on, so it is what a checkpoint belongs to.
  const checkpoint = checkpointDir
    ? await openFitCheckpoint(checkpointDir, label, weighted, params)
    : undefined;
  if (checkpoint?.note) reporter.info?.(checkpoint.note);
  reporter.fitStart?.(label, params.iterations);
  try {
    const { userFactors, itemFactors, losses } = await trainAls(weighted, params, {
      computeLoss: true,
      start: checkpoint?.start,
      onIteration: async (info) => {
        reporter.iteration?.(info);
        await checkpoint?.save(info);
      },
    });
    return { userFactors, itemFactors, losses, weighting };
  } finally {
    reporter.fitEnd?.();
  }
}

/**
 * Stage `tune` (with `--tune`): searches the settings on a validation split of the train part. Only the
 * train part goes in, so the held-out test pairs cannot sway the choice; `evaluate` scores it on them once.
 */
export async function tuneOnTrainPart(
  options: Pick<TrainingOptions, 'tune' | 'params' | 'weighting'>,
  data: TrainingData,
  holdout: Holdout,
  reporter: TrainingReporter = {},
): Promise<Tuned | undefined> {
  if (!options.tune) return undefined;
  if (holdout.status !== 'split') {
    reporter.info?.(
      `Tuning skipped: ${holdout.status === 'impossible' ? holdout.reason : 'evaluation is off'}.`,
    );
    return undefined;
  }
  const { split } = holdout;
  const { userIds, videoIds } = data.interactions;
  const part = {
    userIds,
    videoIds,
    matrix: split.train,
    lastTimestamp: split.trainTimestamps,
    kind: split.kind,
    seed: split.seed,
  };
  const result = await tuneHyperparameters(
    part,
    { ...options.tune, params: options.params, baseWeighting: options.weighting?.scheme ?? 'none' },
    reporter,
  );
  const { weighting, ...chosen } = result.best.settings;
  return {
    result,
    settings: { params: { ...options.params, ...chosen }, weighting: weightingOf(weighting) },
  };
}

/** Stage `evaluate`: fits the train part and scores it and the baseline at k = 1..REPORT_MAX_K. */
export async function evaluateOnHoldout(
  options: FitSettings & Checkpointing,
  holdout: Holdout,
  reporter: TrainingReporter = {},
): Promise<Evaluated | undefined> {
  if (holdout.status !== 'split') return undefined;
  const { split } = holdout;
  const model = await trainFactors(split.train, options, 'ALS on train part', reporter);
  const factorModel = { factors: options.params.factors, ...model };
  const evaluation = evaluateSplit(factorModel, split.train, split.test, REPORT_MAX_K);
  reporter.info?.(`\n${formatMetricsTable(evaluation, HEADLINE_K)}\n`);
  return { split, model, evaluation };
}

/** Stage `fit`: the train-part model when it is kept (`retrain` off), else a fit on all data. */
export async function fitModel(
  options: FitSettings & Checkpointing & Pick<TrainingOptions, 'retrain'>,
  matrix: Csr,
  evaluated: Evaluated | undefined,
  reporter: TrainingReporter = {},
): Promise<Fitted> {
  if (evaluated && !options.retrain) return { model: evaluated.model, trainedOn: 'train part' };
  return {
    model: await trainFactors(matrix, options, 'ALS on all data', reporter),
    trainedOn: 'all data',
  };
}

/** A split as the report shows it. */
export function reportSplit(split: Split): ReportSplit {
  const { seed, trainPairs, testPairs, testUsers, kind } = split;
  return { kind, rule: splitRule(kind), seed, trainPairs, testPairs, testUsers };
}

/** The manifest's `metrics`: the evaluation (or why there is none), what was published, its loss. */
function manifestMetrics(
  holdout: Holdout,
  evaluated: Evaluated | undefined,
  fitted: Fitted,
): Record<string, unknown> {
  const reason = holdout.status === 'impossible' ? holdout.reason : 'evaluation disabled (--no-eval)';
  const metrics: Record<string, unknown> = evaluated
    ? metricsForManifest(evaluated.evaluation, HEADLINE_K, { ...reportSplit(evaluated.split) })
    : { evaluated: false, reason };
  metrics.trainedOn = fitted.trainedOn;
  metrics.lossPerIteration = fitted.model.losses;
  return metrics;
}

function reportInput(
  options: TrainingOptions,
  data: TrainingData,
  packaged: { model: ModelData; artifact: EncodedArtifact },
  stages: StageResults,
): ReportInput {
  const { interactions, events, metadata } = data;
  const { matrix } = interactions;
  const { holdout, evaluated, fitted } = stages;
  const evaluationLosses = evaluated?.model.losses;
  const settings = stages.settings ?? options;
  return {
    version: packaged.artifact.manifest.version,
    createdAt: packaged.artifact.manifest.createdAt,
    params: { ...settings.params, weighting: describeWeighting(settings.weighting) },
    tuning: stages.tuned?.result,
    counts: {
      events: interactions.events,
      'bad rows': events.bad.count,
      users: matrix.rows,
      videos: matrix.cols,
      'user-video pairs': matrix.indices.length,
      ...(metadata ? { 'videos with metadata': metadata.filter((m) => m !== null).length } : {}),
    },
    dataset: { interactions: options.interactions, videos: options.videos, digest: interactions.digest },
    split: evaluated ? reportSplit(evaluated.split) : undefined,
    evaluationLosses,
    finalLosses: fitted.model === evaluated?.model ? undefined : fitted.model.losses,
    evaluation: evaluated?.evaluation,
    popularity: packaged.model.popularity,
    summaryK: HEADLINE_K,
    notes: holdout.status === 'impossible' ? [`Evaluation skipped: ${holdout.reason}.`] : [],
    skipReason: holdout.status === 'impossible' ? holdout.reason : undefined,
  };
}

/** Stage `package`: the model data (with {@link videoPopularity}), its encoded artifact, and the report. */
export async function packageArtifact(
  options: TrainingOptions,
  data: TrainingData,
  stages: StageResults,
): Promise<Packaged> {
  const { interactions } = data;
  const { params } = stages.settings ?? options;
  const fittedWeighting = stages.fitted.model.weighting;
  const model: ModelData = {
    factors: params.factors,
    userIds: interactions.userIds,
    videoIds: interactions.videoIds,
    userFactors: stages.fitted.model.userFactors,
    itemFactors: stages.fitted.model.itemFactors,
    seen: interactions.matrix,
    popularity: videoPopularity(interactions.matrix),
    metadata: data.metadata,
    ...(fittedWeighting.weighting.scheme === 'none' ? {} : { weighting: fittedWeighting }),
    ...(data.coldVideos ? { coldVideos: data.coldVideos } : {}),
  };
  const artifact = encodeModel(model, {
    params,
    datasetDigest: interactions.digest,
    metrics: manifestMetrics(stages.holdout, stages.evaluated, stages.fitted),
    events: interactions.events,
    createdAt: options.createdAt,
    ...(stages.tuned ? { tuning: tuningForManifest(stages.tuned.result) } : {}),
  });
  const report = await renderReport(reportInput(options, data, { model, artifact }, stages));
  return { model, artifact, report };
}

/**
 * Stage `publish`: writes the artifact with `report.html` to each destination (the `latest.json` pointer
 * last), then the SageMaker tarball when asked.
 */
export async function publishArtifact(
  options: Pick<TrainingOptions, 'out' | 'sagemakerTarball' | 's3Client' | 'forcePathStyle'>,
  destinations: readonly string[],
  packaged: Packaged,
  reporter: TrainingReporter = {},
): Promise<Published> {
  const published: PublishResult[] = [];
  for (const destination of destinations) {
    const result = await publishModel(
      destination,
      packaged.artifact,
      { 'report.html': packaged.report },
      { s3: options.s3Client, forcePathStyle: options.forcePathStyle },
    );
    published.push(result);
    const report = result.manifestUri.replace(/manifest\.json$/, 'report.html');
    reporter.info?.(`Published ${result.version} to ${result.uri} (report: ${report})`);
  }
  if (!options.sagemakerTarball || !options.out) return { published, tarball: undefined };
  const version = packaged.artifact.manifest.version;
  const file = join(options.out, 'sagemaker', version, 'model.tar.gz');
  const tarball = await createSageMakerTarball(options.out, file, version);
  reporter.info?.(
    `SageMaker model data: ${tarball.file} (${tarball.bytes} bytes; upload it and pass its s3:// URI to deploy:sagemaker --model-data-url)`,
  );
  return { published, tarball };
}

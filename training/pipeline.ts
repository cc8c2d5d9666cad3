/**
 * The training run behind `npm run train`, callable from tests and other scripts: the stages of
 * stages.ts composed, read -> prepare -> (tune) -> evaluate -> fit -> package -> publish, with
 * `report.html` published beside the artifacts.
 * @module
 */
import type { EncodedArtifact } from '../src/artifact/index.js';
import type { PublishResult } from '../src/store/index.js';
import type { Evaluation } from './evaluate.js';
import type { Interactions } from './features.js';
import { checkAgainstData, preflight } from './preflight.js';
import type { TrainingOptions, TrainingReporter } from './run-options.js';
import type { Split } from './split.js';
import {
  evaluateOnHoldout,
  fitModel,
  packageArtifact,
  prepareHoldout,
  publishArtifact,
  readData,
  tuneOnTrainPart,
} from './stages.js';
import type { TarballResult } from './tarball.js';
import type { TuneResult } from './tune.js';

export type { TrainingOptions, TrainingReporter } from './run-options.js';

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
  /** the search, with `tune` */
  tuning: TuneResult | undefined;
}

/**
 * Runs a whole training: read, split, train and evaluate, retrain, encode, publish, report.
 * @param options - inputs, destinations and hyper-parameters
 * @param reporter - progress sink (the CLI's progress bar and log lines)
 * @throws InputInvalidError for unusable input (with file and line numbers), ConfigInvalidError for bad options
 * @example
 * const outcome = await runTraining({ ...options, interactions: 'data/sample/interactions.csv', out: 'artifacts' });
 * console.log(outcome.published[0]?.version);
 */
export async function runTraining(
  options: TrainingOptions,
  reporter: TrainingReporter = {},
): Promise<TrainingOutcome> {
  const destinations = await preflight(options);
  const data = await readData(options, reporter);
  checkAgainstData(options, data);
  const holdout = prepareHoldout(options, data, reporter);
  const tuned = await tuneOnTrainPart(options, data, holdout, reporter);
  // The tuner's choice replaces the given settings from here on; the test split is scored once, below.
  const settings = tuned?.settings ?? { params: options.params, weighting: options.weighting };
  const { checkpointDir } = options;
  const evaluated = await evaluateOnHoldout({ ...settings, checkpointDir }, holdout, reporter);
  const fitted = await fitModel(
    { ...settings, checkpointDir, retrain: options.retrain },
    data.interactions.matrix,
    evaluated,
    reporter,
  );
  const packaged = await packageArtifact(options, data, { holdout, settings, tuned, evaluated, fitted });
  const { published, tarball } = await publishArtifact(options, destinations, packaged, reporter);
  return {
    artifact: packaged.artifact,
    published,
    report: packaged.report,
    tarball,
    evaluation: evaluated?.evaluation,
    split: evaluated?.split,
    interactions: data.interactions,
    losses: { evaluation: evaluated?.model.losses, final: fitted.model.losses },
    tuning: tuned?.result,
  };
}

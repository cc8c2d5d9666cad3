/**
 * What a training run is given: its options (the CLI fills them) and the reporter it tells its
 * progress to.
 * @module
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { IterationInfo } from '../src/als/index.js';
import type { AlsParams, Weighting } from '../src/core/model-data.js';
import type { EventLayout, EventLayoutName } from './read-events.js';
import type { SplitKind } from './split.js';
import type { TuneObjective } from './tune.js';

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
  /** confidence weighting applied to the matrix before ALS (default: none) */
  weighting?: Weighting | undefined;
  /** how the held-out pairs are chosen (default: random, EVAL.md's rule) */
  split?: SplitKind | undefined;
  /** search the settings on a validation split of the train part first (needs the evaluation) */
  tune?: { trials: number; minutes?: number | undefined; objective: TuneObjective } | undefined;
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
  /** write ALS checkpoints here after every iteration and resume from them (`--checkpoint-dir`) */
  checkpointDir?: string | undefined;
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

/**
 * The `npm run train` command line: commander declares the options and their help, zod validates the
 * values and turns them into {@link TrainingOptions}. Every default lives here.
 * @module
 */
import { availableParallelism } from 'node:os';
import { isAbsolute, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { z } from 'zod';
import packageJson from '../package.json' with { type: 'json' };
import { ALS_DEFAULTS } from '../src/als/index.js';
import { ConfigInvalidError } from '../src/core/errors.js';
import { DEFAULT_MAX_BAD_FRACTION } from './bad-rows.js';
import { addQualityOptions, qualityFields, qualitySettings } from './cli-quality-options.js';
import type { TrainingOptions } from './pipeline.js';
import { type ColumnRef, EVENT_LAYOUTS, type EventLayout } from './read-events.js';
import { SPLIT_SEED } from './split.js';
import { TIMESTAMP_FORMATS } from './timestamps.js';

/** Every core (up to 8) by default: threads change speed only, never the factors (train.ts sums in a fixed order). */
export const DEFAULT_THREADS = Math.min(availableParallelism(), 8);

/** The shipped realistic sample, used when no --interactions is given. */
export const SAMPLE_INTERACTIONS = fileURLToPath(new URL('../data/sample/interactions.csv', import.meta.url));
export const SAMPLE_VIDEOS = fileURLToPath(new URL('../data/sample/videos.csv', import.meta.url));
/**
 * Plain `npm run train`'s settings: the original's (factors 20, reg 0.1, 20 iterations), not implicit's
 * defaults (factors 100, reg 0.01, 15), chosen by measurement (`npm run bench:quality`): test P@10 0.4174
 * vs 0.2960 on MovieLens 100K, 0.3877 vs 0.2628 on the shipped sample, and better on the time split too.
 */
export const TRAIN_DEFAULTS = Object.freeze({
  ...ALS_DEFAULTS,
  factors: 20,
  regularization: 0.1,
  iterations: 20,
});
/** Local artifacts root when neither --out nor --s3 is given. */
export const DEFAULT_OUT = 'artifacts';

/** The command-line parts that are not {@link TrainingOptions}. */
export interface CliSettings {
  quiet: boolean;
  sagemakerTarball: boolean;
}

const count = (name: string, min: number) =>
  z.coerce
    .number({ error: `--${name} must be a number` })
    .refine((v) => Number.isInteger(v) && v >= min, { error: `--${name} must be an integer >= ${min}` });
const real = (name: string, check: (v: number) => boolean, rule: string) =>
  z.coerce
    .number({ error: `--${name} must be a number` })
    .refine((v) => Number.isFinite(v) && check(v), { error: `--${name} must be ${rule}` });

const rawSchema = z.object({
  interactions: z.string().min(1).optional(),
  videos: z.union([z.string().min(1), z.literal(false)]).optional(),
  layout: z.enum(['events', 'interactions', 'movielens'], { error: '--layout must be events or movielens' }),
  delimiter: z.string().optional(),
  header: z.boolean().optional(),
  userColumn: z.string().optional(),
  videoColumn: z.string().optional(),
  valueColumn: z.string().optional(),
  typeColumn: z.string().optional(),
  timestampColumn: z.string().optional(),
  timestampFormat: z
    .enum(TIMESTAMP_FORMATS, { error: `--timestamp-format must be one of ${TIMESTAMP_FORMATS.join(', ')}` })
    .optional(),
  weights: z.string().optional(),
  out: z.string().min(1).optional(),
  s3: z
    .string()
    .regex(/^s3:\/\/[^/]+/, { error: '--s3 must look like s3://bucket/prefix' })
    .optional(),
  factors: count('factors', 1),
  regularization: real('regularization', (v) => v >= 0, 'a number >= 0'),
  alpha: real('alpha', (v) => v > 0, 'a number > 0'),
  iterations: count('iterations', 1),
  cgSteps: count('cg-steps', 1),
  threads: count('threads', 1).refine((v) => v <= availableParallelism(), {
    error: (issue) =>
      `--threads ${String(issue.input)} is more than the ${availableParallelism()} cores of this machine (extra threads only wait for a core: 99 ran 60x slower than 2)`,
  }),
  seed: count('seed', 0),
  splitSeed: count('split-seed', 0),
  maxBadRowsRatio: real('max-bad-rows-ratio', (v) => v >= 0 && v <= 1, 'between 0 and 1'),
  retrain: z.boolean(),
  eval: z.boolean(),
  checkpointDir: z.string().min(1).optional(),
  sagemakerTarball: z.boolean().default(false),
  quiet: z.boolean().default(false),
  ...qualityFields,
});

/** Keeps an option's text as typed (zod validates it); its default stays a number, so --help shows it as one. */
const asGiven = (value: string): string | number => value;

/** The project's version, for --version (imported, so a bundle carries it without package.json beside it). */
const VERSION: string = packageJson.version;

/** Builds the commander program (without an action): names, help texts and defaults. */
export function buildProgram(): Command {
  const d = TRAIN_DEFAULTS;
  const program = new Command('train')
    .version(VERSION, '-V, --version', 'print the version and exit')
    .description(
      'Train an implicit-feedback ALS model from interaction events, evaluate it and publish versioned artifacts.',
    )
    .option('--interactions <file>', 'events CSV (default: the shipped sample data/sample/interactions.csv)')
    .option(
      '--videos <file>',
      'video metadata CSV (default: data/sample/videos.csv when --interactions is not given)',
    )
    .option('--no-videos', 'train without video metadata')
    .addOption(
      new Option('--layout <name>', 'events file layout').choices(['events', 'movielens']).default('events'),
    )
    .option('--delimiter <char>', 'column options: field delimiter (overrides the layout)')
    .option('--header', 'column options: the first line names the columns')
    .option('--no-header', 'column options: the file has no header line')
    .option('--user-column <name|index>', 'column options: user id column')
    .option('--video-column <name|index>', 'column options: video id column')
    .option('--value-column <name|index>', 'column options: interaction value column')
    .option('--type-column <name|index>', 'column options: interaction type column')
    .option('--timestamp-column <name|index>', 'column options: timestamp column')
    .option('--timestamp-format <format>', `column options: ${TIMESTAMP_FORMATS.join(' | ')}`)
    .option(
      '--weights <list>',
      'value per interaction type instead of the value column, e.g. watch=1,like=2,complete=3',
    )
    .option('--out <dir>', `local artifacts root (default: ${DEFAULT_OUT}/ unless only --s3 is given)`)
    .option('--s3 <uri>', 'also (or only) publish to s3://bucket/prefix')
    .option('--factors <n>', 'latent factors', asGiven, d.factors)
    .option('--regularization <x>', 'L2 regularization', asGiven, d.regularization)
    .option('--alpha <x>', 'confidence scale: observed pairs weigh alpha * value', asGiven, d.alpha)
    .option('--iterations <n>', 'ALS iterations', asGiven, d.iterations)
    .option('--cg-steps <n>', 'conjugate-gradient steps per update', asGiven, d.cgSteps)
    .option(
      '--threads <n>',
      'worker threads (at most the cores); the factors are identical at any count',
      asGiven,
      DEFAULT_THREADS,
    )
    .option('--seed <n>', 'factor initialisation seed', asGiven, d.seed)
    .option('--split-seed <n>', 'evaluation holdout seed', asGiven, SPLIT_SEED)
    .option(
      '--max-bad-rows-ratio <x>',
      'stop when more than this share of rows is bad',
      asGiven,
      DEFAULT_MAX_BAD_FRACTION,
    )
    .option(
      '--checkpoint-dir <dir>',
      'write ALS checkpoints here after every iteration and resume from the last finished one',
    )
    .option('--no-retrain', 'publish the model trained on the train part instead of retraining on all data')
    .option('--no-eval', 'skip the held-out evaluation')
    .option(
      '--sagemaker-tarball',
      'also write <out>/sagemaker/<version>/model.tar.gz for SageMaker (--model-data-url)',
    )
    .option('--quiet', 'print only errors')
    .showHelpAfterError('(run with --help for usage)');
  return addQualityOptions(program);
}

type ParsedOptions = z.infer<typeof rawSchema>;

/**
 * The named layout, or an explicit one when any column option is given. Unstated columns come from the
 * named layout, except header names when the file has no header (they could not be found).
 */
function layoutOf(o: ParsedOptions): EventLayout | 'interactions' | 'movielens' {
  const name = o.layout === 'movielens' ? 'movielens' : 'interactions';
  const overrides = [
    o.delimiter,
    o.header,
    o.userColumn,
    o.videoColumn,
    o.valueColumn,
    o.typeColumn,
    o.timestampColumn,
  ];
  if (overrides.every((v) => v === undefined) && o.timestampFormat === undefined) return name;
  const named: EventLayout = EVENT_LAYOUTS[name];
  const header = o.header ?? named.header;
  const inherit = (ref: ColumnRef | undefined): ColumnRef | undefined =>
    header || typeof ref === 'number' ? ref : undefined;
  const timestamp = columnRef(o.timestampColumn) ?? inherit(named.timestamp);
  const layout: EventLayout = {
    delimiter: o.delimiter === '\\t' ? '\t' : (o.delimiter ?? named.delimiter),
    header,
    user: columnRef(o.userColumn) ?? inherit(named.user) ?? 0,
    video: columnRef(o.videoColumn) ?? inherit(named.video) ?? 1,
    value: columnRef(o.valueColumn) ?? inherit(named.value),
    type: columnRef(o.typeColumn) ?? inherit(named.type),
    timestamp,
    timestampFormat: timestamp === undefined ? undefined : (o.timestampFormat ?? named.timestampFormat),
  };
  // Type and time columns the options name must be there; those taken over from the named layout are
  // used when the header has them, so a plain userId,videoId,interactionValue file reads as it is.
  const stated = { type: o.typeColumn, timestamp: o.timestampColumn };
  const optional = (['type', 'timestamp'] as const).filter(
    (role) => stated[role] === undefined && typeof layout[role] === 'string',
  );
  return optional.length > 0 ? { ...layout, optional } : layout;
}

/** A default path as the user would type it: relative to the working directory when it lies below it. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

function columnRef(text: string | undefined): ColumnRef | undefined {
  if (text === undefined) return undefined;
  return /^\d+$/.test(text) ? Number(text) : text;
}

function parseWeights(text: string): Record<string, number> {
  const weights: Record<string, number> = {};
  for (const part of text.split(',')) {
    const match = /^\s*([^=\s]+)\s*=\s*([0-9.eE+-]+)\s*$/.exec(part);
    const value = match ? Number(match[2]) : Number.NaN;
    if (!match?.[1] || !Number.isFinite(value) || value < 0) {
      throw new ConfigInvalidError(
        `--weights must look like watch=1,like=2,complete=3 (non-negative numbers), got "${text}"`,
      );
    }
    weights[match[1]] = value;
  }
  return weights;
}

/**
 * Validates commander's option values and builds the run's options.
 * @throws ConfigInvalidError with one line naming the first bad option
 */
export function parseCliOptions(values: Record<string, unknown>): {
  training: TrainingOptions;
  cli: CliSettings;
} {
  const parsed = rawSchema.safeParse(values);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const option = `--${String(issue?.path[0] ?? '').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    const message = issue?.message ?? 'invalid options';
    throw new ConfigInvalidError(message.startsWith('--') ? message : `${option}: ${message}`);
  }
  const o = parsed.data;
  const layout = layoutOf(o);
  const videos =
    o.videos === false
      ? undefined
      : (o.videos ?? (o.interactions === undefined ? shown(SAMPLE_VIDEOS) : undefined));
  // The SageMaker tarball is packed from a local copy, so asking for it keeps the local default.
  const out = o.out ?? (o.s3 === undefined || o.sagemakerTarball ? DEFAULT_OUT : undefined);
  return {
    training: {
      interactions: o.interactions ?? shown(SAMPLE_INTERACTIONS),
      videos,
      layout,
      weights: o.weights === undefined ? undefined : parseWeights(o.weights),
      out,
      s3: o.s3,
      params: {
        factors: o.factors,
        regularization: o.regularization,
        alpha: o.alpha,
        iterations: o.iterations,
        cgSteps: o.cgSteps,
        threads: o.threads,
        seed: o.seed,
      },
      splitSeed: o.splitSeed,
      maxBadRowsRatio: o.maxBadRowsRatio,
      retrain: o.retrain,
      evaluate: o.eval,
      sagemakerTarball: o.sagemakerTarball,
      checkpointDir: o.checkpointDir,
      forcePathStyle: undefined,
      ...qualitySettings(o),
    },
    cli: { quiet: o.quiet, sagemakerTarball: o.sagemakerTarball },
  };
}

/**
 * The `npm run train` options that change what is learnt and how it is measured: `--weighting` (with
 * bm25's K1 and B), `--split random|time`, and `--tune` with its budget. Declared here and merged into
 * the command line by training/cli-options.ts.
 * @module
 */
import { type Command, Option } from 'commander';
import { z } from 'zod';
import { BM25_DEFAULTS, WEIGHTING_SCHEMES, weightingOf } from '../src/als/index.js';
import { ConfigInvalidError } from '../src/core/errors.js';
import type { TrainingOptions } from './run-options.js';
import { SPLIT_KINDS } from './split.js';
import { TUNE_DEFAULTS, TUNE_OBJECTIVES } from './tune.js';

const positive = (name: string, check: (v: number) => boolean, rule: string) =>
  z.coerce
    .number({ error: `--${name} must be a number` })
    .refine((v) => Number.isFinite(v) && check(v), { error: `--${name} must be ${rule}` });

/** The zod fields of these options (commander's camel-case names). */
export const qualityFields = {
  weighting: z.enum(WEIGHTING_SCHEMES, {
    error: `--weighting must be one of ${WEIGHTING_SCHEMES.join(', ')}`,
  }),
  bm25K1: positive('bm25-k1', (v) => v >= 0, 'a number >= 0'),
  bm25B: positive('bm25-b', (v) => v >= 0 && v <= 1, 'between 0 and 1'),
  split: z.enum(SPLIT_KINDS, { error: `--split must be one of ${SPLIT_KINDS.join(', ')}` }),
  tune: z.boolean().default(false),
  trials: positive('trials', (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1'),
  tuneMinutes: positive('tune-minutes', (v) => v > 0, 'a number > 0').optional(),
  tuneMetric: z.enum(TUNE_OBJECTIVES, {
    error: `--tune-metric must be one of ${TUNE_OBJECTIVES.join(', ')}`,
  }),
};

type QualityValues = z.infer<z.ZodObject<typeof qualityFields>>;

/** Adds the options to the training command (help texts and defaults). */
export function addQualityOptions(program: Command): Command {
  return program
    .addOption(
      new Option(
        '--weighting <scheme>',
        "confidence weighting before ALS (implicit's bm25_weight / tfidf_weight)",
      )
        .choices(WEIGHTING_SCHEMES)
        .default('none'),
    )
    .addOption(new Option('--bm25-k1 <x>', 'bm25 K1').default(BM25_DEFAULTS.k1))
    .addOption(new Option('--bm25-b <x>', 'bm25 B').default(BM25_DEFAULTS.b))
    .addOption(
      new Option(
        '--split <kind>',
        "held-out pairs: random (EVAL.md's seeded rule) or time (each user's latest 20%)",
      )
        .choices(SPLIT_KINDS)
        .default('random'),
    )
    .option(
      '--tune',
      'search factors, regularization, alpha, iterations and weighting on a validation split first',
    )
    .addOption(new Option('--trials <n>', 'tuning budget: trials').default(TUNE_DEFAULTS.trials))
    .option('--tune-minutes <m>', `tuning budget: minutes (default ${TUNE_DEFAULTS.minutes})`)
    .addOption(
      new Option('--tune-metric <metric>', 'what the search maximises on the validation split, at k = 10')
        .choices(TUNE_OBJECTIVES)
        .default(TUNE_DEFAULTS.objective),
    );
}

/**
 * The run options these values give.
 * @throws ConfigInvalidError for `--tune` without the evaluation it needs
 */
export function qualitySettings(
  o: QualityValues & { eval: boolean },
): Pick<TrainingOptions, 'weighting' | 'split' | 'tune'> {
  if (o.tune && !o.eval) throw new ConfigInvalidError('--tune needs the held-out evaluation: drop --no-eval');
  return {
    weighting: weightingOf(o.weighting, { k1: o.bm25K1, b: o.bm25B }),
    split: o.split,
    tune: o.tune
      ? { trials: o.trials, minutes: o.tuneMinutes ?? TUNE_DEFAULTS.minutes, objective: o.tuneMetric }
      : undefined,
  };
}

import { describe, expect, it } from 'vitest';
import { ConfigInvalidError } from '../../src/core/errors.js';
import { buildProgram, DEFAULT_THREADS, parseCliOptions } from '../../training/cli-options.js';

/** Parses argv the way the CLI does (commander, then zod) without running anything. */
function parse(args: string[]): ReturnType<typeof parseCliOptions> {
  const program = buildProgram().exitOverride();
  program.parse(['node', 'train', ...args]);
  return parseCliOptions(program.opts());
}

describe('Function: parseCliOptions', () => {
  it("defaults to the shipped sample, artifacts/, the original's settings, evaluation and retraining", () => {
    expect(parse([])).toEqual({
      training: {
        interactions: 'data/sample/interactions.csv',
        videos: 'data/sample/videos.csv',
        layout: 'interactions',
        weights: undefined,
        out: 'artifacts',
        s3: undefined,
        params: {
          factors: 20,
          regularization: 0.1,
          alpha: 1,
          iterations: 20,
          cgSteps: 3,
          threads: DEFAULT_THREADS,
          seed: 42,
        },
        splitSeed: 42,
        maxBadRowsRatio: 0.01,
        retrain: true,
        evaluate: true,
        sagemakerTarball: false,
        forcePathStyle: undefined,
        weighting: { scheme: 'none' },
        split: 'random',
        tune: undefined,
      },
      cli: { quiet: false, sagemakerTarball: false },
    });
  });

  it('reads every numeric option and the flags', () => {
    const { training, cli } = parse([
      '--interactions',
      'u.data',
      '--layout',
      'movielens',
      '--s3',
      's3://b/p',
      '--factors',
      '64',
      '--regularization',
      '0.05',
      '--alpha',
      '2',
      '--iterations',
      '20',
      '--cg-steps',
      '4',
      '--threads',
      '2',
      '--seed',
      '7',
      '--split-seed',
      '9',
      '--max-bad-rows-ratio',
      '0.2',
      '--no-retrain',
      '--no-eval',
      '--quiet',
      '--sagemaker-tarball',
      '--weights',
      'watch=1, like=2,complete=3.5',
    ]);
    expect(training).toMatchObject({
      interactions: 'u.data',
      videos: undefined,
      layout: 'movielens',
      out: 'artifacts',
      s3: 's3://b/p',
      params: {
        factors: 64,
        regularization: 0.05,
        alpha: 2,
        iterations: 20,
        cgSteps: 4,
        threads: 2,
        seed: 7,
      },
      splitSeed: 9,
      maxBadRowsRatio: 0.2,
      retrain: false,
      evaluate: false,
      weights: { watch: 1, like: 2, complete: 3.5 },
    });
    expect(cli).toEqual({ quiet: true, sagemakerTarball: true });
  });

  it('turns column options into an explicit layout over the named one', () => {
    const { training } = parse([
      '--interactions',
      'x.tsv',
      '--delimiter',
      '\\t',
      '--no-header',
      '--user-column',
      '0',
      '--video-column',
      '1',
      '--value-column',
      '2',
    ]);
    expect(training.layout).toEqual({
      delimiter: '\t',
      header: false,
      user: 0,
      video: 1,
      value: 2,
      type: undefined,
      timestamp: undefined,
      timestampFormat: undefined,
    });
  });

  it('keeps the named layout columns that a headed file can still name', () => {
    const { training } = parse(['--delimiter', ';', '--type-column', 'kind']);
    expect(training.layout).toEqual({
      delimiter: ';',
      header: true,
      user: 'userId',
      video: 'videoId',
      value: 'interactionValue',
      type: 'kind',
      timestamp: 'timestamp',
      timestampFormat: 'datetime',
      optional: ['timestamp'],
    });
  });

  it.each([
    [['--factors', '0'], '--factors must be an integer >= 1'],
    [['--factors', '2.5'], '--factors must be an integer >= 1'],
    [['--iterations', 'ten'], '--iterations must be a number'],
    [['--regularization', '-1'], '--regularization must be a number >= 0'],
    [['--alpha', '0'], '--alpha must be a number > 0'],
    [['--max-bad-rows-ratio', '2'], '--max-bad-rows-ratio must be between 0 and 1'],
    [['--s3', 'bucket/prefix'], '--s3 must look like s3://bucket/prefix'],
    [
      ['--weights', 'watch:1'],
      '--weights must look like watch=1,like=2,complete=3 (non-negative numbers), got "watch:1"',
    ],
  ])('refuses %j with "%s"', (args, message) => {
    expect(() => parse(args)).toThrow(new ConfigInvalidError(message));
  });
});

import { describe, expect, it } from 'vitest';
import { ConfigInvalidError } from '../../src/core/errors.js';
import { buildProgram, parseCliOptions } from '../../training/cli-options.js';
import {
  hyperparameterArgs,
  hyperparameterNames,
  parseHyperparameters,
  toHyperparameters,
} from '../../training/sagemaker/hyperparameters.js';

/** The training options a command line gives (commander, then zod), as the CLI computes them. */
function optionsOf(args: string[]): ReturnType<typeof parseCliOptions>['training'] {
  const program = buildProgram().exitOverride();
  program.parse(args, { from: 'user' });
  return parseCliOptions(program.opts()).training;
}

describe('Function: hyperparameterArgs', () => {
  it('maps values, flags and --no- flags onto the command-line options', () => {
    // Prepare
    const hyperparameters = {
      factors: '64',
      'cg-steps': '4',
      layout: 'movielens',
      eval: 'false',
      retrain: 'true',
      header: 'true',
      'max-bad-rows-ratio': '0.05',
      weights: 'watch=1,like=2',
      'checkpoint-dir': '/opt/ml/checkpoints',
    };

    // Act
    const args = hyperparameterArgs(hyperparameters);

    // Assess
    expect(args).toEqual([
      '--factors',
      '64',
      '--cg-steps',
      '4',
      '--layout',
      'movielens',
      '--no-eval',
      '--header',
      '--max-bad-rows-ratio',
      '0.05',
      '--weights',
      'watch=1,like=2',
      '--checkpoint-dir',
      '/opt/ml/checkpoints',
    ]);
    const options = optionsOf(args);
    expect({
      factors: options.params.factors,
      cgSteps: options.params.cgSteps,
      evaluate: options.evaluate,
      retrain: options.retrain,
      maxBadRowsRatio: options.maxBadRowsRatio,
      weights: options.weights,
      checkpointDir: options.checkpointDir,
    }).toEqual({
      factors: 64,
      cgSteps: 4,
      evaluate: false,
      retrain: true,
      maxBadRowsRatio: 0.05,
      weights: { watch: 1, like: 2 },
      checkpointDir: '/opt/ml/checkpoints',
    });
  });

  it('says which hyperparameter is unknown and lists the known ones', () => {
    expect(() => hyperparameterArgs({ factors: '8', learning_rate: '0.1' })).toThrow(
      new ConfigInvalidError(
        `unknown hyperparameter "learning_rate" (known: ${hyperparameterNames().join(', ')})`,
      ),
    );
  });

  it('refuses inputs and outputs as hyperparameters, and flags that are not true or false', () => {
    expect(() => hyperparameterArgs({ interactions: 's3://b/events' })).toThrow(
      'hyperparameter interactions is not allowed: a job reads its events from the training channel',
    );
    expect(() => hyperparameterArgs({ out: '/tmp' })).toThrow(/a job writes its model to \/opt\/ml\/model/);
    expect(() => hyperparameterArgs({ eval: 'no' })).toThrow(
      'hyperparameter eval must be "true" or "false", got "no"',
    );
  });
});

describe('Function: hyperparameterNames', () => {
  it('takes every training option but the inputs and outputs (new options become hyperparameters)', () => {
    const names = hyperparameterNames();

    expect(names).toEqual(expect.arrayContaining(['factors', 'iterations', 'seed', 'layout', 'eval', 's3']));
    expect(names).toContain('checkpoint-dir');
    expect(
      names.filter((n) => ['interactions', 'videos', 'out', 'sagemaker-tarball', 'quiet'].includes(n)),
    ).toEqual([]);
  });
});

describe('Function: toHyperparameters', () => {
  it('turns the options given on a command line into hyperparameters that give the same options back', () => {
    // Prepare
    const cli = [
      '--interactions',
      's3://b/e/',
      '--factors',
      '32',
      '--no-eval',
      '--alpha',
      '2',
      '--no-header',
    ];
    const program = buildProgram().exitOverride();
    program.parse(cli, { from: 'user' });

    // Act
    const hyperparameters = toHyperparameters(program);
    const roundTrip = optionsOf(['--interactions', 's3://b/e/', ...hyperparameterArgs(hyperparameters)]);

    // Assess
    expect(hyperparameters).toEqual({ alpha: '2', eval: 'false', factors: '32', header: 'false' });
    expect(roundTrip).toEqual(optionsOf(cli));
  });
});

describe('Function: parseHyperparameters', () => {
  it('reads an object of strings and turns numbers and booleans (SM_HPS) into strings', () => {
    expect(parseHyperparameters('{"factors":"8","iterations":3,"eval":false}', 'SM_HPS')).toEqual({
      factors: '8',
      iterations: '3',
      eval: 'false',
    });
  });

  it('names the source of invalid JSON and of values that are not strings', () => {
    expect(() => parseHyperparameters('{"factors":', 'hyperparameters.json')).toThrow(
      new ConfigInvalidError('hyperparameters.json is not valid JSON'),
    );
    expect(() => parseHyperparameters('{"factors":["8"]}', 'hyperparameters.json')).toThrow(
      /hyperparameters.json .* \(at "factors"\)/,
    );
    expect(() => parseHyperparameters('["8"]', 'SM_HPS')).toThrow(
      /^SM_HPS must be a JSON object of string values$/,
    );
  });
});

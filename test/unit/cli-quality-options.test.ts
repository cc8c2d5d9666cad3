import { describe, expect, it } from 'vitest';
import { ConfigInvalidError } from '../../src/core/errors.js';
import { buildProgram, parseCliOptions } from '../../training/cli-options.js';

/** Parses argv the way the CLI does (commander, then zod) without running anything. */
function parse(args: string[]): ReturnType<typeof parseCliOptions>['training'] {
  const program = buildProgram().exitOverride();
  program.parse(['node', 'train', ...args]);
  return parseCliOptions(program.opts()).training;
}

describe('Function: qualitySettings (through parseCliOptions)', () => {
  it('reads --weighting with bm25 defaults of implicit (K1 100, B 0.8) and explicit ones', () => {
    // Act
    const plain = parse(['--weighting', 'bm25']);
    const tuned = parse(['--weighting', 'bm25', '--bm25-k1', '1.2', '--bm25-b', '0.75']);
    const tfidf = parse(['--weighting', 'tfidf']);

    // Assess
    expect([plain.weighting, tuned.weighting, tfidf.weighting]).toEqual([
      { scheme: 'bm25', k1: 100, b: 0.8 },
      { scheme: 'bm25', k1: 1.2, b: 0.75 },
      { scheme: 'tfidf' },
    ]);
  });

  it('reads --split and --tune with its budget and defaults', () => {
    // Act
    const defaults = parse(['--tune']);
    const given = parse([
      '--tune',
      '--trials',
      '12',
      '--tune-minutes',
      '2.5',
      '--tune-metric',
      'ndcg',
      '--split',
      'time',
    ]);

    // Assess
    expect([defaults.tune, defaults.split]).toEqual([
      { trials: 60, minutes: 10, objective: 'precision' },
      'random',
    ]);
    expect([given.tune, given.split]).toEqual([{ trials: 12, minutes: 2.5, objective: 'ndcg' }, 'time']);
  });

  it('names the option that breaks its rule', () => {
    expect(() => parse(['--trials', '0'])).toThrow(
      new ConfigInvalidError('--trials must be an integer >= 1'),
    );
    expect(() => parse(['--tune-minutes', '-1'])).toThrow(
      new ConfigInvalidError('--tune-minutes must be a number > 0'),
    );
    expect(() => parse(['--bm25-b', '2'])).toThrow(
      new ConfigInvalidError('--bm25-b must be between 0 and 1'),
    );
    expect(() => parse(['--tune', '--no-eval'])).toThrow(
      new ConfigInvalidError('--tune needs the held-out evaluation: drop --no-eval'),
    );
    expect(() => parse(['--weighting', 'idf'])).toThrow(/argument 'idf' is invalid/);
  });
});

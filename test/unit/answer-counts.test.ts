import { describe, expect, it } from 'vitest';
import { answerCounts } from '../../src/api/answer-counts.js';

describe('Function: answerCounts', () => {
  it('counts one answer and its source', () => {
    expect(answerCounts({ kind: 'one', value: { userId: 'u', recommendations: [] } })).toEqual({
      answers: 1,
      fallback: 0,
      foldIn: 0,
    });
    expect(answerCounts({ kind: 'one', value: { status: 'ok', modelVersion: 'v' } })).toEqual({
      answers: 0,
      fallback: 0,
      foldIn: 0,
    });
  });

  it('counts batch items one by one, leaving out failed ones', () => {
    expect(
      answerCounts({
        kind: 'many',
        items: [
          { userId: 'a', recommendations: [], source: 'popular' },
          { userId: null, recommendations: [], source: 'fold-in' },
          { error: { code: 'UNKNOWN_USER', message: 'Unknown user: b' } },
          { userId: 'c', recommendations: [] },
        ] as never,
      }),
    ).toEqual({ answers: 3, fallback: 1, foldIn: 1 });
  });
});

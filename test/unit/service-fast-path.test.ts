import { describe, expect, it } from 'vitest';
import { invoke, recommend } from '../../src/api/service.js';
import { toErrorResponse } from '../../src/core/errors.js';
import { fixtureRecommender } from '../helpers/api-cases.js';

const rec = fixtureRecommender();

/** The answer, or the status and body a target would send for what it throws. */
function outcome(fn: () => unknown): unknown {
  try {
    return fn();
  } catch (error) {
    return toErrorResponse(error);
  }
}

// The plain `{"user_id","k"}` body skips zod; an unknown key (which zod strips) forces the zod path,
// so each pair must agree exactly, answers and errors alike.
const BODIES: Record<string, unknown>[] = [
  { user_id: 'u001', k: 3 },
  { user_id: 'u001' },
  { user_id: '  u002 ', k: 1 },
  { k: 2, user_id: 'u003' },
  { user_id: 'nobody', k: 3 },
  { user_id: '', k: 3 },
  { user_id: '   ', k: 3 },
  { user_id: 'x'.repeat(256), k: 3 },
  { user_id: 'x'.repeat(257), k: 3 },
  { user_id: 'u001', k: 0 },
  { user_id: 'u001', k: 2.5 },
  { user_id: 'u001', k: 101 },
  { user_id: 'u001', k: 100 },
  { user_id: 'u001', k: '3' },
  { user_id: 7, k: 3 },
  { user_id: null },
  { k: 3 },
];

describe('Function: recommend (plain body fast path)', () => {
  for (const body of BODIES) {
    it(`answers ${JSON.stringify(body).slice(0, 60)} as the zod path does`, () => {
      // Act
      const fast = outcome(() => recommend(rec, body));
      const viaZod = outcome(() => recommend(rec, { ...body, ignored: true }));
      // Assess
      expect(fast).toEqual(viaZod);
    });
  }

  it('answers the original request with the trimmed user id', () => {
    // Act
    const response = invoke(rec, { user_id: ' u001 ', k: 1 });
    // Assess
    expect(response).toEqual({ userId: 'u001', recommendations: [{ videoId: 'v004', score: 1.25 }] });
  });
});

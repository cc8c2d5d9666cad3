import { describe, expect, it } from 'vitest';
import { invoke, recommend } from '../../src/api/service.js';
import { toErrorResponse } from '../../src/core/errors.js';
import { DEFAULT_LIMITS } from '../../src/core/limits.js';
import { fixtureRecommender } from '../helpers/fixture-model.js';

const rec = fixtureRecommender();
const env = { limits: DEFAULT_LIMITS };

/** The answer, or the status and body a target would send for what it rejects with. */
async function outcome(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    return await fn();
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
    it(`answers ${JSON.stringify(body).slice(0, 60)} as the zod path does`, async () => {
      // Act
      const fast = await outcome(() => recommend(rec, body, env));
      const viaZod = await outcome(() => recommend(rec, { ...body, ignored: true }, env));
      // Assess
      expect(fast).toEqual(viaZod);
    });
  }

  it('answers the original request with the trimmed user id', async () => {
    // Act
    const response = await invoke(rec, { user_id: ' u001 ', k: 1 }, env);
    // Assess
    expect(response).toEqual({ userId: 'u001', recommendations: [{ videoId: 'v004', score: 1.25 }] });
  });
});

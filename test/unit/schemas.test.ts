import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { createSchemas, fieldPath, parseOrThrow, schemasFor } from '../../src/api/schemas.js';
import { InvalidRequestError } from '../../src/core/errors.js';

const schemas = schemasFor();

/** The issues parseOrThrow raises for `input`, or 'ok'. */
function issuesOf(input: unknown, schema: z.ZodType = schemas.recommendRequest): unknown {
  try {
    parseOrThrow(schema, input);
    return 'ok';
  } catch (error) {
    if (!(error instanceof InvalidRequestError)) throw error;
    return error.issues;
  }
}

describe('Function: schemasFor', () => {
  it('builds the schemas once per distinct limits', () => {
    expect(schemasFor({ maxK: 7, maxBatch: 3 })).toBe(schemasFor({ maxK: 7, maxBatch: 3 }));
    expect(schemasFor({ maxK: 7, maxBatch: 3 })).not.toBe(schemasFor({ maxK: 8, maxBatch: 3 }));
  });
});

describe('Schema: recommendRequest', () => {
  it('accepts the original request exactly as sent, adding only the default k', () => {
    expect(parseOrThrow(schemas.recommendRequest, { user_id: 'u001', k: 3 })).toEqual({
      user_id: 'u001',
      k: 3,
    });
    expect(parseOrThrow(schemas.recommendRequest, { user_id: 'u001' })).toEqual({ user_id: 'u001', k: 5 });
  });

  it('accepts every additive field', () => {
    const body = {
      user_id: 'u001',
      k: 10,
      fallback: 'popular',
      exclude: ['v1'],
      allow: ['v2'],
      keep_watched: true,
      filter: { language: ['en', 'it'], tags: ['food'] },
      include_metadata: true,
    };
    expect(parseOrThrow(schemas.recommendRequest, body)).toEqual(body);
    expect(
      parseOrThrow(schemas.recommendRequest, { watched: ['v1', { video_id: 'v2', weight: 2 }] }),
    ).toEqual({
      watched: ['v1', { video_id: 'v2', weight: 2 }],
      k: 5,
    });
    expect(parseOrThrow(schemas.recommendRequest, { video_id: 'v1' })).toEqual({ video_id: 'v1', k: 5 });
  });

  it('names the field and the rule of each failure', () => {
    const k = [{ field: 'k', message: 'must be an integer between 1 and 100' }];
    expect(issuesOf({ user_id: 'u001', k: 0 })).toEqual(k);
    expect(issuesOf({ user_id: 'u001', k: '3' })).toEqual(k);
    expect(issuesOf({ user_id: 'u001', k: 2.5 })).toEqual(k);
    expect(issuesOf({ user_id: 'u001', k: 101 })).toEqual(k);
    expect(issuesOf({ k: 3 })).toEqual([{ field: 'user_id', message: 'is required' }]);
    expect(issuesOf({ user_id: '' })).toEqual([{ field: 'user_id', message: 'must not be empty' }]);
    expect(issuesOf({ user_id: 7 })).toEqual([{ field: 'user_id', message: 'must be a string' }]);
    expect(issuesOf([1])).toEqual([{ field: 'body', message: 'must be an object' }]);
    expect(issuesOf({ user_id: 'u', fallback: 'random' })).toEqual([
      { field: 'fallback', message: 'must be one of "none", "popular"' },
    ]);
    expect(issuesOf({ user_id: 'u', keep_watched: 'yes' })).toEqual([
      { field: 'keep_watched', message: 'must be true or false' },
    ]);
    expect(issuesOf({ watched: [] })).toEqual([{ field: 'watched', message: 'must have at least 1 item' }]);
    expect(issuesOf({ watched: ['v1', 5] })).toEqual([
      {
        field: 'watched[1]',
        message: 'must be a video id or {"video_id": string, "weight": positive number}',
      },
    ]);
    expect(issuesOf({ video_id: 'v1', user_id: 'u1' })).toEqual([
      { field: 'video_id', message: 'cannot be combined with user_id or watched' },
    ]);
    expect(issuesOf({ user_id: 'u', filter: { tags: 'food' } })).toEqual([
      { field: 'filter.tags', message: 'must be an array' },
    ]);
  });

  it('raises one InvalidRequestError whose message lists every issue', () => {
    expect(() => parseOrThrow(schemas.recommendRequest, { user_id: 1, k: 0 })).toThrow(
      new InvalidRequestError(
        'Invalid request: user_id must be a string; k must be an integer between 1 and 100',
        [
          { field: 'user_id', message: 'must be a string' },
          { field: 'k', message: 'must be an integer between 1 and 100' },
        ],
      ),
    );
  });

  it('bounds k and batch size by the limits it was built with', () => {
    const small = createSchemas({ maxK: 3, maxBatch: 2 });
    expect(issuesOf({ user_id: 'u', k: 4 }, small.recommendRequest)).toEqual([
      { field: 'k', message: 'must be an integer between 1 and 3' },
    ]);
    expect(issuesOf({ requests: [1, 2, 3] }, small.batchEnvelope)).toEqual([
      { field: 'requests', message: 'must have at most 2 items' },
    ]);
  });
});

describe('Schema: recommendResponse', () => {
  it('accepts the original response shape and the additive fields', () => {
    const original = { userId: 'u001', recommendations: [{ videoId: 'v005', score: 0.91 }] };
    expect(schemas.recommendResponse.parse(original)).toEqual(original);
    const rich = {
      recommendations: [
        { videoId: 'v1', score: 1, title: 't', tags: ['a'], language: 'en', lengthSeconds: 3 },
      ],
      source: 'fold-in',
    };
    expect(schemas.recommendResponse.parse(rich)).toEqual(rich);
  });
});

describe('Function: fieldPath', () => {
  it('joins keys with dots and indices in brackets', () => {
    expect([
      fieldPath([]),
      fieldPath(['k']),
      fieldPath(['watched', 0, 'video_id']),
      fieldPath(['requests', 2]),
    ]).toEqual(['body', 'k', 'watched[0].video_id', 'requests[2]']);
  });
});

describe('Schema: recommendRequest (explain, similar_users)', () => {
  it('accepts explain for users and fold-in, and similar_users with user_id and k', () => {
    expect(issuesOf({ user_id: 'u001', explain: true })).toBe('ok');
    expect(issuesOf({ watched: ['v1'], explain: true })).toBe('ok');
    expect(parseOrThrow(schemas.recommendRequest, { user_id: 'u001', similar_users: true })).toEqual({
      user_id: 'u001',
      similar_users: true,
      k: 5,
    });
  });

  it('names the field that does not fit: explain on videos, similar_users without a user or with video options', () => {
    expect(issuesOf({ video_id: 'v1', explain: true })).toEqual([
      { field: 'explain', message: 'applies to user_id or watched, not video_id' },
    ]);
    expect(issuesOf({ similar_users: true, video_id: 'v1' })).toEqual([
      { field: 'user_id', message: 'is required with similar_users' },
    ]);
    expect(issuesOf({ user_id: 'u1', similar_users: true, filter: { language: 'en' } })).toEqual([
      { field: 'filter', message: 'cannot be combined with similar_users' },
    ]);
    expect(issuesOf({ user_id: 'u1', similar_users: 'yes' })).toEqual([
      { field: 'similar_users', message: 'must be true or false' },
    ]);
  });
});

import { describe, expect, it, vi } from 'vitest';
import {
  answerEach,
  answerJsonLines,
  forbiddenKey,
  invoke,
  parseJsonBody,
  recommend,
  similarVideos,
  userRecommendations,
} from '../../src/api/service.js';
import {
  InvalidRequestError,
  toErrorResponse,
  UnknownUserError,
  UnknownVideoError,
} from '../../src/core/errors.js';
import { DEFAULT_LIMITS } from '../../src/core/limits.js';
import type { Log } from '../../src/core/log.js';
import type { Recommender } from '../../src/recommender/index.js';
import { fixtureRecommender } from '../helpers/fixture-model.js';

const rec = fixtureRecommender();
const env = { limits: DEFAULT_LIMITS };
const U001_TOP3 = {
  userId: 'u001',
  recommendations: [
    { videoId: 'v004', score: 1.25 },
    { videoId: 'v003', score: 0.75 },
    { videoId: 'v005', score: 0.75 },
  ],
};

/** Status and body a target would send for what `fn` throws or rejects with. */
async function failure(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return toErrorResponse(error);
  }
  throw new Error('expected a failure');
}

describe('Function: invoke', () => {
  it('answers the original request with exactly the original keys', async () => {
    const response = await invoke(rec, { user_id: 'u001', k: 3 }, env);
    expect(response).toEqual(U001_TOP3);
    expect(JSON.stringify(response)).toBe(
      '{"userId":"u001","recommendations":[{"videoId":"v004","score":1.25},{"videoId":"v003","score":0.75},{"videoId":"v005","score":0.75}]}',
    );
  });

  it('says where results came from only when not the trained user factors', async () => {
    expect(await invoke(rec, { user_id: 'u999', k: 1, fallback: 'popular' }, env)).toEqual({
      userId: 'u999',
      recommendations: [{ videoId: 'v001', score: 5 }],
      source: 'popular',
    });
    expect(await invoke(rec, { watched: ['v001'], k: 1 }, env)).toEqual({
      recommendations: [{ videoId: 'v004', score: expect.any(Number) }],
      source: 'fold-in',
    });
    expect(await invoke(rec, { video_id: 'v001', k: 1 }, env)).toEqual({
      videoId: 'v001',
      recommendations: [{ videoId: 'v004', score: expect.closeTo(1 / Math.sqrt(1.25), 6) }],
    });
  });

  it('passes every option through to the recommender', async () => {
    const options = {
      user_id: 'u001',
      k: 2,
      keep_watched: true,
      exclude: ['v004'],
      allow: ['v001', 'v002', 'v004'],
    };
    expect(await invoke(rec, options, env)).toEqual({
      userId: 'u001',
      recommendations: [
        { videoId: 'v001', score: 1 },
        { videoId: 'v002', score: 0.5 },
      ],
    });
    expect(
      await invoke(rec, { user_id: 'u001', k: 1, filter: { tags: ['ts'] }, include_metadata: true }, env),
    ).toEqual({
      userId: 'u001',
      recommendations: [
        {
          videoId: 'v004',
          score: 1.25,
          title: 'Advanced TypeScript',
          tags: ['code', 'ts'],
          language: 'en',
          lengthSeconds: 900,
        },
      ],
    });
  });

  it('answers a batch item by item, failures included', async () => {
    const body = { requests: [{ user_id: 'u001', k: 3 }, { user_id: 'u999' }, { video_id: 'x' }, 'junk'] };
    expect(await invoke(rec, body, env)).toEqual({
      responses: [
        U001_TOP3,
        { error: { code: 'UNKNOWN_USER', message: 'Unknown user: u999' } },
        { error: { code: 'UNKNOWN_VIDEO', message: 'Unknown video: x' } },
        {
          error: {
            code: 'INVALID_REQUEST',
            message: 'Invalid request: body must be an object',
            issues: [{ field: 'body', message: 'must be an object' }],
          },
        },
      ],
    });
  });

  it('rejects a malformed batch envelope as a whole, bounded by MAX_BATCH', async () => {
    const small = { limits: { maxK: 100, maxBatch: 1 } };
    expect(
      await failure(() => invoke(rec, { requests: [{ user_id: 'u001' }, { user_id: 'u002' }] }, small)),
    ).toEqual({
      status: 400,
      body: {
        error: {
          code: 'INVALID_REQUEST',
          message: 'Invalid request: requests must have at most 1 items',
          issues: [{ field: 'requests', message: 'must have at most 1 items' }],
        },
      },
    });
    expect(await failure(() => invoke(rec, { requests: 'all' }, env))).toMatchObject({ status: 400 });
  });

  it('maps each failure to its code and status', async () => {
    expect(await failure(() => invoke(rec, { user_id: 'u999' }, env))).toEqual({
      status: 404,
      body: { error: { code: 'UNKNOWN_USER', message: 'Unknown user: u999' } },
    });
    expect(await failure(() => invoke(rec, { watched: ['x', 'y'] }, env))).toEqual({
      status: 404,
      body: { error: { code: 'UNKNOWN_VIDEO', message: 'Unknown videos: x, y' } },
    });
    expect(await failure(() => invoke(rec, { user_id: 'u001', k: 0 }, env))).toEqual({
      status: 400,
      body: {
        error: {
          code: 'INVALID_REQUEST',
          message: 'Invalid request: k must be an integer between 1 and 100',
          issues: [{ field: 'k', message: 'must be an integer between 1 and 100' }],
        },
      },
    });
  });

  it('bounds k by the limits of its environment', async () => {
    const tight = { limits: { maxK: 2, maxBatch: 10 } };
    expect(await failure(() => invoke(rec, { user_id: 'u001', k: 3 }, tight))).toMatchObject({
      status: 400,
      body: { error: { issues: [{ field: 'k', message: 'must be an integer between 1 and 2' }] } },
    });
    expect(await invoke(rec, { user_id: 'u001', k: 2 }, tight)).toMatchObject({ userId: 'u001' });
  });

  it('hides unexpected failures of batch items and logs them', async () => {
    const broken: Recommender = {
      ...rec,
      recommendForUser: () => Promise.reject(new Error('disk on fire')),
    };
    const log = { error: vi.fn() } as unknown as Log;
    expect(await answerEach(broken, [{ user_id: 'u001' }], { ...env, log })).toEqual([
      { error: { code: 'INTERNAL', message: 'Internal server error' } },
    ]);
    expect(log.error).toHaveBeenCalledWith('batch item failed', {
      index: 0,
      error: new Error('disk on fire'),
    });
  });
});

describe('Function: recommend', () => {
  it('treats a batch envelope as an ordinary (invalid) single request', async () => {
    expect(await failure(() => recommend(rec, { requests: [] }, env))).toMatchObject({ status: 400 });
  });
});

describe('Function: answerJsonLines', () => {
  it('answers one item per request, blank lines skipped, bad lines failed on their own', async () => {
    expect(
      await answerJsonLines(rec, '{"user_id":"u001","k":3}\n\n{"user_id":\r\n{"user_id":"u999"}\n', env),
    ).toEqual([
      U001_TOP3,
      {
        error: {
          code: 'INVALID_REQUEST',
          message: 'Invalid request: body must be valid JSON',
          issues: [{ field: 'body', message: 'must be valid JSON' }],
        },
      },
      { error: { code: 'UNKNOWN_USER', message: 'Unknown user: u999' } },
    ]);
  });

  it('refuses a body without lines, naming the body and the rule', async () => {
    await expect(answerJsonLines(rec, '\n \n', env)).rejects.toThrow(
      'Invalid request: body must have between 1 and 1000 non-blank lines',
    );
  });
});

describe('Function: userRecommendations (REST)', () => {
  it('answers like the body API, query values parsed from strings', async () => {
    expect(await userRecommendations(rec, 'u001', { k: '3' }, env)).toEqual(U001_TOP3);
    expect(await userRecommendations(rec, 'u001', null, env)).toEqual(
      await invoke(rec, { user_id: 'u001' }, env),
    );
    const query = { k: '2', keep_watched: 'true', exclude: 'v004, v003', include_metadata: 'false' };
    expect(await userRecommendations(rec, 'u001', query, env)).toEqual({
      userId: 'u001',
      recommendations: [
        { videoId: 'v001', score: 1 },
        { videoId: 'v005', score: 0.75 },
      ],
    });
    const popular = { k: '1', fallback: 'popular', language: 'it', tags: 'food' };
    expect(await userRecommendations(rec, 'u999', popular, env)).toEqual({
      userId: 'u999',
      recommendations: [{ videoId: 'v002', score: 3 }],
      source: 'popular',
    });
  });

  it('names query fields in validation errors', async () => {
    await expect(userRecommendations(rec, 'u001', { k: 'abc', keep_watched: 'maybe' }, env)).rejects.toThrow(
      new InvalidRequestError(
        'Invalid request: k must be an integer between 1 and 100; keep_watched must be true or false',
        [
          { field: 'k', message: 'must be an integer between 1 and 100' },
          { field: 'keep_watched', message: 'must be true or false' },
        ],
      ),
    );
    await expect(userRecommendations(rec, undefined, {}, env)).rejects.toThrow(
      new InvalidRequestError('Invalid request: userId is required', [
        { field: 'userId', message: 'is required' },
      ]),
    );
    await expect(userRecommendations(rec, 'u999', {}, env)).rejects.toThrow(new UnknownUserError('u999'));
  });
});

describe('Function: similarVideos (REST)', () => {
  it('answers like the body API', async () => {
    expect(await similarVideos(rec, 'v001', { k: '2', exclude: 'v004' }, env)).toEqual(
      await invoke(rec, { video_id: 'v001', k: 2, exclude: ['v004'] }, env),
    );
    await expect(similarVideos(rec, 'v999', undefined, env)).rejects.toThrow(new UnknownVideoError(['v999']));
  });
});

describe('Function: parseJsonBody', () => {
  it('parses JSON or throws INVALID_REQUEST naming the body', () => {
    expect(parseJsonBody('{"user_id":"u001"}')).toEqual({ user_id: 'u001' });
    expect(() => parseJsonBody('{')).toThrow(
      new InvalidRequestError('Invalid request: body must be valid JSON', [
        { field: 'body', message: 'must be valid JSON' },
      ]),
    );
  });

  it('refuses keys that could reach a prototype, as the Lambda parser does', () => {
    expect(() => parseJsonBody('{"user_id":"u001","__proto__":{"admin":true}}')).toThrow(
      forbiddenKey('__proto__'),
    );
    expect(() => parseJsonBody('{"constructor":{"prototype":{}}}')).toThrow(forbiddenKey('constructor'));
    expect(parseJsonBody('{"constructor":"ok","note":"__proto__ in a value"}')).toEqual({
      constructor: 'ok',
      note: '__proto__ in a value',
    });
  });
});

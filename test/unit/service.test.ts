import { describe, expect, it, vi } from 'vitest';
import {
  answerEach,
  answerJsonLines,
  invoke,
  parseJsonBody,
  ping,
  recommend,
  recommendForUser,
  requireContentType,
  similarVideos,
} from '../../src/api/service.js';
import {
  InvalidRequestError,
  ModelNotLoadedError,
  TransportError,
  toErrorResponse,
  UnknownUserError,
  UnknownVideoError,
} from '../../src/core/errors.js';
import type { Log } from '../../src/core/log.js';
import type { Recommender } from '../../src/recommender/recommender.js';
import { createRecommender } from '../../src/recommender/recommender.js';
import { FIXTURE_VERSION, fixtureLoaded, fixtureRecommender } from '../helpers/api-cases.js';

const rec = fixtureRecommender();
const U001_TOP3 = {
  userId: 'u001',
  recommendations: [
    { videoId: 'v004', score: 1.25 },
    { videoId: 'v003', score: 0.75 },
    { videoId: 'v005', score: 0.75 },
  ],
};

/** Status and body a target would send for what `fn` throws. */
function failure(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return toErrorResponse(error);
  }
  throw new Error('expected a failure');
}

describe('Function: ping', () => {
  it('reports the model version, or 503 before a model is loaded', () => {
    expect(ping(rec)).toEqual({ status: 'ok', modelVersion: FIXTURE_VERSION });
    expect(() => ping(undefined)).toThrow(ModelNotLoadedError);
  });
});

describe('Function: invoke', () => {
  it('answers the original request with exactly the original keys', () => {
    const response = invoke(rec, { user_id: 'u001', k: 3 });
    expect(response).toEqual(U001_TOP3);
    expect(JSON.stringify(response)).toBe(
      '{"userId":"u001","recommendations":[{"videoId":"v004","score":1.25},{"videoId":"v003","score":0.75},{"videoId":"v005","score":0.75}]}',
    );
  });

  it('says where results came from only when not the trained user factors', () => {
    expect(invoke(rec, { user_id: 'u999', k: 1, fallback: 'popular' })).toEqual({
      userId: 'u999',
      recommendations: [{ videoId: 'v001', score: 5 }],
      source: 'popular',
    });
    const folded = invoke(rec, { watched: ['v001'], k: 1 });
    expect(folded).toEqual({
      recommendations: [{ videoId: 'v004', score: expect.any(Number) }],
      source: 'fold-in',
    });
    expect(invoke(rec, { video_id: 'v001', k: 1 })).toEqual({
      videoId: 'v001',
      recommendations: [{ videoId: 'v004', score: expect.closeTo(1 / Math.sqrt(1.25), 6) }],
    });
  });

  it('passes every option through to the recommender', () => {
    expect(
      invoke(rec, {
        user_id: 'u001',
        k: 2,
        keep_watched: true,
        exclude: ['v004'],
        allow: ['v001', 'v002', 'v004'],
      }),
    ).toEqual({
      userId: 'u001',
      recommendations: [
        { videoId: 'v001', score: 1 },
        { videoId: 'v002', score: 0.5 },
      ],
    });
    expect(invoke(rec, { user_id: 'u001', k: 1, filter: { tags: ['ts'] }, include_metadata: true })).toEqual({
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

  it('answers a batch item by item, failures included', () => {
    expect(
      invoke(rec, { requests: [{ user_id: 'u001', k: 3 }, { user_id: 'u999' }, { video_id: 'x' }, 'junk'] }),
    ).toEqual({
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

  it('rejects a malformed batch envelope as a whole, bounded by MAX_BATCH', () => {
    const small = createRecommender(fixtureLoaded(), { maxBatch: 1 });
    expect(failure(() => invoke(small, { requests: [{ user_id: 'u001' }, { user_id: 'u002' }] }))).toEqual({
      status: 400,
      body: {
        error: {
          code: 'INVALID_REQUEST',
          message: 'Invalid request: requests must have at most 1 items',
          issues: [{ field: 'requests', message: 'must have at most 1 items' }],
        },
      },
    });
    expect(failure(() => invoke(rec, { requests: 'all' }))).toMatchObject({ status: 400 });
  });

  it('maps each failure to its code and status', () => {
    expect(failure(() => invoke(undefined, { user_id: 'u001' }))).toEqual({
      status: 503,
      body: { error: { code: 'MODEL_NOT_LOADED', message: 'No model is loaded yet' } },
    });
    expect(failure(() => invoke(rec, { user_id: 'u999' }))).toEqual({
      status: 404,
      body: { error: { code: 'UNKNOWN_USER', message: 'Unknown user: u999' } },
    });
    expect(failure(() => invoke(rec, { watched: ['x', 'y'] }))).toEqual({
      status: 404,
      body: { error: { code: 'UNKNOWN_VIDEO', message: 'Unknown videos: x, y' } },
    });
    expect(failure(() => invoke(rec, { user_id: 'u001', k: 0 }))).toEqual({
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

  it('hides unexpected failures of batch items and logs them', () => {
    const broken = {
      ...rec,
      recommendForUser: () => {
        throw new Error('disk on fire');
      },
    } as Recommender;
    const log = { error: vi.fn() } as unknown as Log;
    expect(answerEach(broken, [{ user_id: 'u001' }], { log })).toEqual([
      { error: { code: 'INTERNAL', message: 'Internal server error' } },
    ]);
    expect(log.error).toHaveBeenCalledWith('batch item failed', {
      index: 0,
      error: new Error('disk on fire'),
    });
  });
});

describe('Function: recommend', () => {
  it('treats a batch envelope as an ordinary (invalid) single request', () => {
    expect(failure(() => recommend(rec, { requests: [] }))).toMatchObject({ status: 400 });
  });
});

describe('Function: answerJsonLines', () => {
  it('answers one item per request, blank lines skipped, bad lines failed on their own', () => {
    expect(answerJsonLines(rec, '{"user_id":"u001","k":3}\n\n{"user_id":\r\n{"user_id":"u999"}\n')).toEqual([
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

  it('refuses a body without lines, naming the body and the rule', () => {
    expect(() => answerJsonLines(rec, '\n \n')).toThrow(
      'Invalid request: body must have between 1 and 1000 non-blank lines',
    );
  });
});

describe('Function: recommendForUser (REST)', () => {
  it('answers like the body API, query values parsed from strings', () => {
    expect(recommendForUser(rec, 'u001', { k: '3' })).toEqual(U001_TOP3);
    expect(recommendForUser(rec, 'u001', null)).toEqual(invoke(rec, { user_id: 'u001' }));
    expect(
      recommendForUser(rec, 'u001', {
        k: '2',
        keep_watched: 'true',
        exclude: 'v004, v003',
        include_metadata: 'false',
      }),
    ).toEqual({
      userId: 'u001',
      recommendations: [
        { videoId: 'v001', score: 1 },
        { videoId: 'v005', score: 0.75 },
      ],
    });
    expect(
      recommendForUser(rec, 'u999', { k: '1', fallback: 'popular', language: 'it', tags: 'food' }),
    ).toEqual({
      userId: 'u999',
      recommendations: [{ videoId: 'v002', score: 3 }],
      source: 'popular',
    });
  });

  it('names query fields in validation errors', () => {
    expect(() => recommendForUser(rec, 'u001', { k: 'abc', keep_watched: 'maybe' })).toThrow(
      new InvalidRequestError(
        'Invalid request: k must be an integer between 1 and 100; keep_watched must be true or false',
        [
          { field: 'k', message: 'must be an integer between 1 and 100' },
          { field: 'keep_watched', message: 'must be true or false' },
        ],
      ),
    );
    expect(() => recommendForUser(rec, undefined, {})).toThrow(
      new InvalidRequestError('Invalid request: userId is required', [
        { field: 'userId', message: 'is required' },
      ]),
    );
    expect(() => recommendForUser(rec, 'u999', {})).toThrow(new UnknownUserError('u999'));
  });
});

describe('Function: similarVideos (REST)', () => {
  it('answers like the body API', () => {
    expect(similarVideos(rec, 'v001', { k: '2', exclude: 'v004' })).toEqual(
      invoke(rec, { video_id: 'v001', k: 2, exclude: ['v004'] }),
    );
    expect(() => similarVideos(rec, 'v999')).toThrow(new UnknownVideoError(['v999']));
    expect(() => similarVideos(undefined, 'v001')).toThrow(ModelNotLoadedError);
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
});

describe('Function: requireContentType', () => {
  it('accepts JSON (parameters ignored, missing header allowed) and rejects others with 415', () => {
    expect(requireContentType('Application/JSON; charset=utf-8')).toBe('application/json');
    expect(requireContentType(undefined)).toBe('application/json');
    expect(requireContentType('application/jsonlines', ['application/json', 'application/jsonlines'])).toBe(
      'application/jsonlines',
    );
    expect(() => requireContentType('text/plain')).toThrow(
      new TransportError('UNSUPPORTED_MEDIA_TYPE', 'Unsupported Content-Type: text/plain'),
    );
    expect(failure(() => requireContentType('text/csv'))).toEqual({
      status: 415,
      body: { error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Unsupported Content-Type: text/csv' } },
    });
  });
});

/**
 * The ONE table of HTTP-level cases both serving targets are tested against, over the small known
 * model of test/helpers/fixture-model.ts. The Lambda tests turn each case into an API Gateway event;
 * the container tests into a real HTTP request. Same request, same status, same JSON body on both.
 * @module
 */
import { expect } from 'vitest';
import { invoke, similarVideos } from '../../src/api/index.js';
import { similarUsersOf, userRecommendations } from '../../src/api/service.js';
import { DEFAULT_LIMITS } from '../../src/core/limits.js';
import { FIXTURE_VERSION, fixtureRecommender } from './fixture-model.js';

export { FIXTURE_VERSION } from './fixture-model.js';

/** Which target serves a case; every case currently runs on both, the field keeps room for target-only behaviour. */
export type Target = 'lambda' | 'container';

export interface ApiCase {
  name: string;
  /** Serve with the fixture loaded, or with no model at all (503 cases). */
  model: 'fixture' | 'none';
  targets: readonly Target[];
  request: {
    method: 'GET' | 'POST';
    /** path without query string */
    path: string;
    /** query string parameters (API Gateway `queryStringParameters`) */
    query?: Record<string, string>;
    headers: Record<string, string>;
    /** raw body text, exactly as sent */
    body?: string;
  };
  expected: { status: number; body: unknown };
}

const BOTH: readonly Target[] = ['lambda', 'container'];
const JSON_HEADERS = { 'content-type': 'application/json' };

const post = (body: string, headers: Record<string, string> = JSON_HEADERS) => ({
  method: 'POST' as const,
  path: '/invocations',
  headers,
  body,
});

const invalid = (field: string, rule: string) => ({
  status: 400,
  body: {
    error: {
      code: 'INVALID_REQUEST',
      message: `Invalid request: ${field} ${rule}`,
      issues: [{ field, message: rule }],
    },
  },
});

const K_RULE = 'must be an integer between 1 and 100';
const ESCAPE_RULE = 'must be a valid percent-encoded UTF-8 path segment';
const rec = fixtureRecommender();
const env = { limits: DEFAULT_LIMITS };
const FOLD_IN_BODY = { user_id: 'new-user', watched: ['v001', { video_id: 'v004', weight: 2 }], k: 3 };

/** Without a model each target says why (its own URI): the code and the start of the message agree. */
const NO_MODEL = {
  status: 503,
  body: { error: { code: 'MODEL_NOT_LOADED', message: expect.stringMatching(/^No model loaded/) } },
};

/** The shared cases. Scores are exact except fold-in and cosine, whose bodies come from the service. */
export const apiCases: readonly ApiCase[] = [
  {
    name: 'ping with a model',
    model: 'fixture',
    targets: BOTH,
    request: { method: 'GET', path: '/ping', headers: {} },
    expected: { status: 200, body: { status: 'ok', modelVersion: FIXTURE_VERSION } },
  },
  {
    name: 'the original request',
    model: 'fixture',
    targets: BOTH,
    request: post('{"user_id":"u001","k":3}'),
    expected: {
      status: 200,
      body: {
        userId: 'u001',
        recommendations: [
          { videoId: 'v004', score: 1.25 },
          { videoId: 'v003', score: 0.75 },
          { videoId: 'v005', score: 0.75 },
        ],
      },
    },
  },
  {
    name: 'default k is 5',
    model: 'fixture',
    targets: BOTH,
    request: post('{"user_id":"u001"}'),
    expected: {
      status: 200,
      body: {
        userId: 'u001',
        recommendations: [
          { videoId: 'v004', score: 1.25 },
          { videoId: 'v003', score: 0.75 },
          { videoId: 'v005', score: 0.75 },
          { videoId: 'v002', score: 0.5 },
          { videoId: 'v006', score: -0.375 },
        ],
      },
    },
  },
  {
    name: 'unknown user is 404',
    model: 'fixture',
    targets: BOTH,
    request: post('{"user_id":"u999","k":3}'),
    expected: { status: 404, body: { error: { code: 'UNKNOWN_USER', message: 'Unknown user: u999' } } },
  },
  {
    name: 'unknown user with the popular fallback',
    model: 'fixture',
    targets: BOTH,
    request: post('{"user_id":"u999","k":3,"fallback":"popular"}'),
    expected: {
      status: 200,
      body: {
        userId: 'u999',
        recommendations: [
          { videoId: 'v001', score: 5 },
          { videoId: 'v003', score: 4 },
          { videoId: 'v002', score: 3 },
        ],
        source: 'popular',
      },
    },
  },
  {
    name: 'fold-in from a watched list',
    model: 'fixture',
    targets: BOTH,
    request: post(JSON.stringify(FOLD_IN_BODY)),
    expected: { status: 200, body: await invoke(rec, FOLD_IN_BODY, env) },
  },
  {
    name: 'similar videos',
    model: 'fixture',
    targets: BOTH,
    request: post('{"video_id":"v001","k":2}'),
    expected: { status: 200, body: await invoke(rec, { video_id: 'v001', k: 2 }, env) },
  },
  {
    name: 'exclusion list',
    model: 'fixture',
    targets: BOTH,
    request: post('{"user_id":"u001","k":3,"exclude":["v004"]}'),
    expected: {
      status: 200,
      body: {
        userId: 'u001',
        recommendations: [
          { videoId: 'v003', score: 0.75 },
          { videoId: 'v005', score: 0.75 },
          { videoId: 'v002', score: 0.5 },
        ],
      },
    },
  },
  {
    name: 'metadata filter before top-k, fewer than k, with metadata',
    model: 'fixture',
    targets: BOTH,
    request: post('{"user_id":"u001","k":3,"filter":{"language":"it"},"include_metadata":true}'),
    expected: {
      status: 200,
      body: {
        userId: 'u001',
        recommendations: [
          {
            videoId: 'v005',
            score: 0.75,
            title: 'Pizza at home',
            tags: ['food'],
            language: 'it',
            lengthSeconds: 420,
          },
          {
            videoId: 'v002',
            score: 0.5,
            title: 'Cooking pasta',
            tags: ['food'],
            language: 'it',
            lengthSeconds: 600,
          },
        ],
      },
    },
  },
  {
    name: 'batch: each item answered or failed on its own',
    model: 'fixture',
    targets: BOTH,
    request: post('{"requests":[{"user_id":"u001","k":1},{"user_id":"u999"},{"user_id":"u002","k":0}]}'),
    expected: {
      status: 200,
      body: {
        responses: [
          { userId: 'u001', recommendations: [{ videoId: 'v004', score: 1.25 }] },
          { error: { code: 'UNKNOWN_USER', message: 'Unknown user: u999' } },
          invalid('k', K_RULE).body,
        ],
      },
    },
  },
  {
    name: 'POST /recommendations answers like /invocations',
    model: 'fixture',
    targets: BOTH,
    request: { ...post('{"user_id":"u001","k":1}'), path: '/recommendations' },
    expected: { status: 200, body: { userId: 'u001', recommendations: [{ videoId: 'v004', score: 1.25 }] } },
  },
  {
    name: 'a key that could reach a prototype is 400',
    model: 'fixture',
    targets: BOTH,
    request: post('{"user_id":"u001","__proto__":{"admin":true}}'),
    expected: invalid('body', 'must not contain the key "__proto__"'),
  },
  {
    name: 'an Accept naming no format this route produces is 406',
    model: 'fixture',
    targets: BOTH,
    request: post('{"user_id":"u001","k":1}', { 'content-type': 'application/json', accept: 'text/csv' }),
    expected: {
      status: 406,
      body: {
        error: {
          code: 'NOT_ACCEPTABLE',
          message:
            'Not acceptable: text/csv (this endpoint answers application/json or application/jsonlines)',
        },
      },
    },
  },
  {
    name: 'malformed JSON is 400',
    model: 'fixture',
    targets: BOTH,
    request: post('{"user_id":'),
    expected: invalid('body', 'must be valid JSON'),
  },
  {
    name: 'empty body is 400 like malformed JSON',
    model: 'fixture',
    targets: BOTH,
    request: post(''),
    expected: invalid('body', 'must be valid JSON'),
  },
  {
    name: 'wrong content type is 415',
    model: 'fixture',
    targets: BOTH,
    request: post('{"user_id":"u001"}', { 'content-type': 'text/plain' }),
    expected: {
      status: 415,
      body: { error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Unsupported Content-Type: text/plain' } },
    },
  },
  {
    name: 'k = 0 is 400 naming k',
    model: 'fixture',
    targets: BOTH,
    request: post('{"user_id":"u001","k":0}'),
    expected: invalid('k', K_RULE),
  },
  {
    name: 'k as a string is 400 naming k',
    model: 'fixture',
    targets: BOTH,
    request: post('{"user_id":"u001","k":"3"}'),
    expected: invalid('k', K_RULE),
  },
  {
    name: 'missing user_id is 400 naming user_id',
    model: 'fixture',
    targets: BOTH,
    request: post('{"k":3}'),
    expected: invalid('user_id', 'is required'),
  },
  {
    name: 'no model: invocations is 503',
    model: 'none',
    targets: BOTH,
    request: post('{"user_id":"u001","k":3}'),
    expected: NO_MODEL,
  },
  {
    name: 'no model: ping is 503',
    model: 'none',
    targets: BOTH,
    request: { method: 'GET', path: '/ping', headers: {} },
    expected: NO_MODEL,
  },
  {
    name: 'REST: user recommendations',
    model: 'fixture',
    targets: BOTH,
    request: { method: 'GET', path: '/users/u001/recommendations', query: { k: '3' }, headers: {} },
    expected: {
      status: 200,
      body: {
        userId: 'u001',
        recommendations: [
          { videoId: 'v004', score: 1.25 },
          { videoId: 'v003', score: 0.75 },
          { videoId: 'v005', score: 0.75 },
        ],
      },
    },
  },
  {
    name: 'REST: unknown user is 404',
    model: 'fixture',
    targets: BOTH,
    request: { method: 'GET', path: '/users/u999/recommendations', headers: {} },
    expected: { status: 404, body: { error: { code: 'UNKNOWN_USER', message: 'Unknown user: u999' } } },
  },
  {
    name: 'REST: a percent-encoded user id is decoded',
    model: 'fixture',
    targets: BOTH,
    request: { method: 'GET', path: '/users/%75001/recommendations', query: { k: '1' }, headers: {} },
    expected: { status: 200, body: { userId: 'u001', recommendations: [{ videoId: 'v004', score: 1.25 }] } },
  },
  {
    name: 'REST: an unknown user id with an encoded space is named decoded',
    model: 'fixture',
    targets: BOTH,
    request: { method: 'GET', path: '/users/u%20999/recommendations', headers: {} },
    expected: { status: 404, body: { error: { code: 'UNKNOWN_USER', message: 'Unknown user: u 999' } } },
  },
  {
    name: 'REST: a malformed percent-escape in the user id is 400 naming userId',
    model: 'fixture',
    targets: BOTH,
    request: { method: 'GET', path: '/users/u%E0%A4%A/recommendations', headers: {} },
    expected: invalid('userId', ESCAPE_RULE),
  },
  {
    name: 'REST: a malformed percent-escape in the video id is 400 naming videoId',
    model: 'fixture',
    targets: BOTH,
    request: { method: 'GET', path: '/videos/v%zz/similar', headers: {} },
    expected: invalid('videoId', ESCAPE_RULE),
  },
  {
    name: 'REST: bad k in the query is 400 naming k',
    model: 'fixture',
    targets: BOTH,
    request: { method: 'GET', path: '/users/u001/recommendations', query: { k: 'abc' }, headers: {} },
    expected: invalid('k', K_RULE),
  },
  {
    name: 'REST: similar videos',
    model: 'fixture',
    targets: BOTH,
    request: { method: 'GET', path: '/videos/v001/similar', query: { k: '2' }, headers: {} },
    expected: { status: 200, body: await similarVideos(rec, 'v001', { k: '2' }, env) },
  },
  {
    name: 'REST: unknown video is 404',
    model: 'fixture',
    targets: BOTH,
    request: { method: 'GET', path: '/videos/v999/similar', headers: {} },
    expected: { status: 404, body: { error: { code: 'UNKNOWN_VIDEO', message: 'Unknown video: v999' } } },
  },
  {
    name: 'explain: each recommendation says which watched videos contributed most',
    model: 'fixture',
    targets: BOTH,
    request: post('{"user_id":"u001","k":2,"explain":true}'),
    expected: { status: 200, body: await invoke(rec, { user_id: 'u001', k: 2, explain: true }, env) },
  },
  {
    name: 'explain: a fold-in request is explained by its watched list',
    model: 'fixture',
    targets: BOTH,
    request: post(JSON.stringify({ ...FOLD_IN_BODY, explain: true })),
    expected: { status: 200, body: await invoke(rec, { ...FOLD_IN_BODY, explain: true }, env) },
  },
  {
    name: 'explain: not for similar videos (400 naming explain)',
    model: 'fixture',
    targets: BOTH,
    request: post('{"video_id":"v001","explain":true}'),
    expected: invalid('explain', 'applies to user_id or watched, not video_id'),
  },
  {
    name: 'REST: user recommendations with explain=true',
    model: 'fixture',
    targets: BOTH,
    request: {
      method: 'GET',
      path: '/users/u001/recommendations',
      query: { k: '2', explain: 'true' },
      headers: {},
    },
    expected: {
      status: 200,
      body: await userRecommendations(rec, 'u001', { k: '2', explain: 'true' }, env),
    },
  },
  {
    name: 'similar users in the body',
    model: 'fixture',
    targets: BOTH,
    request: post('{"user_id":"u001","k":2,"similar_users":true}'),
    expected: {
      status: 200,
      body: {
        userId: 'u001',
        similarUsers: [
          { userId: 'u002', score: 0.4472135954999579 },
          { userId: 'u003', score: 0.3162277660168379 },
        ],
      },
    },
  },
  {
    name: 'similar users take no video options (400 naming the field)',
    model: 'fixture',
    targets: BOTH,
    request: post('{"user_id":"u001","similar_users":true,"exclude":["v001"]}'),
    expected: invalid('exclude', 'cannot be combined with similar_users'),
  },
  {
    name: 'REST: similar users',
    model: 'fixture',
    targets: BOTH,
    request: { method: 'GET', path: '/users/u001/similar', query: { k: '1' }, headers: {} },
    expected: { status: 200, body: await similarUsersOf(rec, 'u001', { k: '1' }, env) },
  },
  {
    name: 'REST: similar users of an unknown user is 404',
    model: 'fixture',
    targets: BOTH,
    request: { method: 'GET', path: '/users/u999/similar', headers: {} },
    expected: { status: 404, body: { error: { code: 'UNKNOWN_USER', message: 'Unknown user: u999' } } },
  },
  {
    name: 'a video with metadata but no interactions: similar by metadata',
    model: 'fixture',
    targets: BOTH,
    request: post('{"video_id":"v007","k":3}'),
    expected: {
      status: 200,
      body: {
        videoId: 'v007',
        recommendations: [
          { videoId: 'v002', score: 2 / 3 },
          { videoId: 'v005', score: 2 / 3 },
          { videoId: 'v003', score: 0.2 },
        ],
        source: 'metadata',
      },
    },
  },
  {
    name: 'REST: similar videos of a video without interactions, by metadata',
    model: 'fixture',
    targets: BOTH,
    request: {
      method: 'GET',
      path: '/videos/v007/similar',
      query: { k: '1', include_metadata: 'true' },
      headers: {},
    },
    expected: {
      status: 200,
      body: {
        videoId: 'v007',
        recommendations: [
          {
            videoId: 'v002',
            score: 2 / 3,
            title: 'Cooking pasta',
            tags: ['food'],
            language: 'it',
            lengthSeconds: 600,
          },
        ],
        source: 'metadata',
      },
    },
  },
  {
    name: 'REST: an unknown video id with an encoded space is named decoded',
    model: 'fixture',
    targets: BOTH,
    request: { method: 'GET', path: '/videos/v%20999/similar', headers: {} },
    expected: { status: 404, body: { error: { code: 'UNKNOWN_VIDEO', message: 'Unknown video: v 999' } } },
  },
];

/** The cases one target serves. */
export function casesFor(target: Target): ApiCase[] {
  return apiCases.filter((c) => c.targets.includes(target));
}

/** `path?query` of a case, for HTTP clients. */
export function urlOf(apiCase: ApiCase): string {
  const query = new URLSearchParams(apiCase.request.query ?? {}).toString();
  return query === '' ? apiCase.request.path : `${apiCase.request.path}?${query}`;
}

/**
 * The ONE table of HTTP-level cases both serving targets are tested against, over a small known model
 * ({@link fixtureArtifact}). The Lambda tests turn each case into an API Gateway event; the container
 * tests into a real HTTP request. Same request, same status, same JSON body on both.
 *
 * The fixture (2 factors, hand-checkable; exact binary fractions so dot products are exact):
 *
 * | video | factors      | popularity | metadata                                   |
 * |-------|--------------|------------|--------------------------------------------|
 * | v001  | (1, 0)       | 5          | Intro to TypeScript, en, [code, ts], 300 s |
 * | v002  | (0, 1)       | 3          | Cooking pasta, it, [food], 600 s           |
 * | v003  | (0.5, 0.5)   | 4          | Code and cook, en, [code, food], 450 s     |
 * | v004  | (1, 0.5)     | 1          | Advanced TypeScript, en, [code, ts], 900 s |
 * | v005  | (0.25, 1)    | 2          | Pizza at home, it, [food], 420 s           |
 * | v006  | (-0.5, 0.25) | 0          | (none)                                     |
 *
 * u001 = (1, 0.5) watched v001: scores v004 1.25, v003 0.75, v005 0.75 (tie: lower index first),
 * v002 0.5, v006 -0.375. u002 = (0, 1) watched v002, v005. u003 = (0.5, -0.5) watched nothing.
 * @module
 */

import { invoke, similarVideos } from '../../src/api/service.js';
import {
  decodeModel,
  type EncodedArtifact,
  encodeModel,
  type LoadedModel,
} from '../../src/artifact/index.js';
import type { AlsParams, ModelData } from '../../src/core/model-data.js';
import { createRecommender, type Recommender } from '../../src/recommender/recommender.js';

/** Training params recorded in the fixture manifest (alpha/regularization drive fold-in). */
export const FIXTURE_PARAMS: AlsParams = {
  factors: 2,
  regularization: 0.1,
  alpha: 1,
  iterations: 1,
  cgSteps: 3,
  threads: 1,
  seed: 42,
};

/** The fixture's ModelData (fresh arrays on every call, safe to mutate). */
export function fixtureModelData(): ModelData {
  return {
    factors: 2,
    userIds: ['u001', 'u002', 'u003'],
    videoIds: ['v001', 'v002', 'v003', 'v004', 'v005', 'v006'],
    userFactors: Float32Array.of(1, 0.5, 0, 1, 0.5, -0.5),
    itemFactors: Float32Array.of(1, 0, 0, 1, 0.5, 0.5, 1, 0.5, 0.25, 1, -0.5, 0.25),
    seen: {
      rows: 3,
      cols: 6,
      indptr: Int32Array.of(0, 1, 3, 3),
      indices: Int32Array.of(0, 1, 4),
      data: Float32Array.of(2, 1, 3),
    },
    popularity: Float32Array.of(5, 3, 4, 1, 2, 0),
    metadata: [
      { title: 'Intro to TypeScript', language: 'en', tags: ['code', 'ts'], lengthSeconds: 300 },
      { title: 'Cooking pasta', language: 'it', tags: ['food'], lengthSeconds: 600 },
      { title: 'Code and cook', language: 'en', tags: ['code', 'food'], lengthSeconds: 450 },
      { title: 'Advanced TypeScript', language: 'en', tags: ['code', 'ts'], lengthSeconds: 900 },
      { title: 'Pizza at home', language: 'it', tags: ['food'], lengthSeconds: 420 },
      null,
    ],
  };
}

/** The fixture as a publishable artifact with a fixed creation time, so its version id is stable. */
export function fixtureArtifact(): EncodedArtifact {
  return encodeModel(fixtureModelData(), {
    params: FIXTURE_PARAMS,
    datasetDigest: 'api-cases-fixture',
    metrics: {},
    createdAt: new Date('2025-01-01T00:00:00.000Z'),
  });
}

/** The fixture decoded and verified, as a server would load it. */
export function fixtureLoaded(): LoadedModel {
  const { manifest, bundle } = fixtureArtifact();
  return decodeModel(JSON.parse(JSON.stringify(manifest)), bundle);
}

/** A recommender over the fixture with the default limits (MAX_K 100, MAX_BATCH 1000). */
export function fixtureRecommender(): Recommender {
  return createRecommender(fixtureLoaded());
}

/** The version id `/ping` reports for the fixture. */
export const FIXTURE_VERSION: string = fixtureArtifact().manifest.version;

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
const FOLD_IN_BODY = { user_id: 'new-user', watched: ['v001', { video_id: 'v004', weight: 2 }], k: 3 };

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
    expected: { status: 200, body: invoke(rec, FOLD_IN_BODY) },
  },
  {
    name: 'similar videos',
    model: 'fixture',
    targets: BOTH,
    request: post('{"video_id":"v001","k":2}'),
    expected: { status: 200, body: invoke(rec, { video_id: 'v001', k: 2 }) },
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
    expected: {
      status: 503,
      body: { error: { code: 'MODEL_NOT_LOADED', message: 'No model is loaded yet' } },
    },
  },
  {
    name: 'no model: ping is 503',
    model: 'none',
    targets: BOTH,
    request: { method: 'GET', path: '/ping', headers: {} },
    expected: {
      status: 503,
      body: { error: { code: 'MODEL_NOT_LOADED', message: 'No model is loaded yet' } },
    },
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
    expected: { status: 200, body: similarVideos(rec, 'v001', { k: '2' }) },
  },
  {
    name: 'REST: unknown video is 404',
    model: 'fixture',
    targets: BOTH,
    request: { method: 'GET', path: '/videos/v999/similar', headers: {} },
    expected: { status: 404, body: { error: { code: 'UNKNOWN_VIDEO', message: 'Unknown video: v999' } } },
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

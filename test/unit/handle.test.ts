import { describe, expect, it } from 'vitest';
import { ROUTES, type RouteContext } from '../../src/api/index.js';
import { ModelNotLoadedError } from '../../src/core/errors.js';
import { DEFAULT_LIMITS } from '../../src/core/limits.js';
import type { Log } from '../../src/core/log.js';
import { type HttpRequest, handleRequest, Router } from '../../src/http/index.js';
import type { Recommender } from '../../src/recommender/index.js';
import { casesFor, FIXTURE_VERSION } from '../helpers/api-cases.js';
import { fixtureRecommender } from '../helpers/fixture-model.js';

const rec = fixtureRecommender();
const router = new Router(ROUTES);
const U001_TOP1 = { userId: 'u001', recommendations: [{ videoId: 'v004', score: 1.25 }] };
const U002_TOP1 = { userId: 'u002', recommendations: [{ videoId: 'v003', score: 0.5 }] };

/** A route context serving `model`, or a 503 that says why when there is none. */
function contextWith(model: Recommender | undefined, log?: Log): RouteContext {
  return {
    model() {
      if (!model) throw new ModelNotLoadedError('No model loaded yet: loading', { expose: true });
      return model;
    },
    env: { limits: DEFAULT_LIMITS, log },
  };
}

const post = (body: string, headers: Record<string, string>): HttpRequest => ({
  method: 'POST',
  path: '/invocations',
  query: null,
  headers,
  body,
});

describe('Function: handleRequest', () => {
  for (const apiCase of casesFor('container')) {
    it(`answers the shared case: ${apiCase.name}`, async () => {
      // Prepare
      const ctx = contextWith(apiCase.model === 'fixture' ? rec : undefined);
      const { method, path, query, headers, body } = apiCase.request;
      // Act
      const response = await handleRequest(ctx, router, {
        method,
        path,
        query: query ?? null,
        headers,
        body,
      });
      // Assess
      expect({ status: response.status, body: JSON.parse(response.body) }).toEqual(apiCase.expected);
      expect(response.headers['content-type']).toBe('application/json');
    });
  }

  it('answers JSON Lines with one line per request, errors in their own line', async () => {
    const body = '{"user_id":"u001","k":1}\n\n{"user_id":"u999"}\nnot json\r\n{"user_id":"u002","k":1}\n';
    const response = await handleRequest(
      contextWith(rec),
      router,
      post(body, { 'content-type': 'application/jsonlines' }),
    );
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/jsonlines');
    expect(response.body.split('\n').map((line) => (line === '' ? '' : JSON.parse(line)))).toEqual([
      U001_TOP1,
      { error: { code: 'UNKNOWN_USER', message: 'Unknown user: u999' } },
      {
        error: {
          code: 'INVALID_REQUEST',
          message: 'Invalid request: body must be valid JSON',
          issues: [{ field: 'body', message: 'must be valid JSON' }],
        },
      },
      U002_TOP1,
      '',
    ]);
  });

  it('honours Accept: JSON Lines in, one JSON batch out, and the reverse', async () => {
    const ctx = contextWith(rec);
    const linesToJson = await handleRequest(
      ctx,
      router,
      post('{"user_id":"u001","k":1}\n{"user_id":"u002","k":1}\n', {
        'content-type': 'application/jsonlines',
        accept: 'application/json',
      }),
    );
    const jsonToLines = await handleRequest(
      ctx,
      router,
      post('{"requests":[{"user_id":"u001","k":1},{"user_id":"u002","k":1}]}', {
        'content-type': 'application/json',
        accept: 'application/jsonlines',
      }),
    );
    const preferred = await handleRequest(
      ctx,
      router,
      post('{"user_id":"u001","k":1}', {
        'content-type': 'application/json',
        accept: 'text/csv;q=1, application/jsonlines;q=0.5, */*;q=0.1',
      }),
    );
    expect({ type: linesToJson.headers['content-type'], body: JSON.parse(linesToJson.body) }).toEqual({
      type: 'application/json',
      body: { responses: [U001_TOP1, U002_TOP1] },
    });
    expect({ type: jsonToLines.headers['content-type'], body: jsonToLines.body }).toEqual({
      type: 'application/jsonlines',
      body: `${JSON.stringify(U001_TOP1)}\n${JSON.stringify(U002_TOP1)}\n`,
    });
    expect(preferred.body).toBe(`${JSON.stringify(U001_TOP1)}\n`);
  });

  it('answers the transport errors with the shared error body', async () => {
    const cases: { headers: Record<string, string>; body: string; status: number; code: string }[] = [
      {
        headers: { 'content-type': 'text/csv' },
        body: 'u001,3',
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
      },
      {
        headers: { 'content-type': 'application/json', accept: 'text/csv' },
        body: '{"user_id":"u001"}',
        status: 406,
        code: 'NOT_ACCEPTABLE',
      },
      {
        headers: { 'content-type': 'application/jsonlines' },
        body: '\n\n',
        status: 400,
        code: 'INVALID_REQUEST',
      },
    ];
    const answers = [];
    for (const c of cases) {
      const response = await handleRequest(contextWith(rec), router, post(c.body, c.headers));
      answers.push({ status: response.status, code: JSON.parse(response.body).error.code });
    }
    expect(answers).toEqual(cases.map((c) => ({ status: c.status, code: c.code })));
  });

  it('answers 405 with Allow for a wrong method and 404 for an unknown path', async () => {
    const ctx = contextWith(rec);
    const wrongMethod = await handleRequest(ctx, router, {
      method: 'GET',
      path: '/invocations',
      query: null,
      headers: {},
      body: undefined,
    });
    const onPing = await handleRequest(ctx, router, {
      method: 'POST',
      path: '/ping',
      query: null,
      headers: {},
      body: '',
    });
    const unknown = await handleRequest(ctx, router, {
      method: 'GET',
      path: '/nowhere',
      query: { x: '1' },
      headers: {},
      body: undefined,
    });
    expect({
      status: wrongMethod.status,
      allow: wrongMethod.headers.allow,
      body: JSON.parse(wrongMethod.body),
    }).toEqual({
      status: 405,
      allow: 'POST',
      body: { error: { code: 'METHOD_NOT_ALLOWED', message: 'Method not allowed' } },
    });
    expect([onPing.status, onPing.headers.allow]).toEqual([405, 'GET, HEAD']);
    expect({ status: unknown.status, body: JSON.parse(unknown.body) }).toEqual({
      status: 404,
      body: { error: { code: 'NOT_FOUND', message: 'No route for GET /nowhere' } },
    });
  });

  it('serves POST /recommendations exactly as /invocations', async () => {
    const ctx = contextWith(rec);
    const body = '{"watched":["v001"],"k":2}';
    const invocations = await handleRequest(ctx, router, post(body, { 'content-type': 'application/json' }));
    const recommendations = await handleRequest(ctx, router, {
      ...post(body, { 'content-type': 'application/json' }),
      path: '/recommendations',
    });
    expect(recommendations).toEqual(invocations);
    expect(JSON.parse(recommendations.body).source).toBe('fold-in');
  });

  it('reports the version of whichever model is current, and why there is none', async () => {
    let model: Recommender | undefined;
    const ctx: RouteContext = { ...contextWith(undefined), model: () => contextWith(model).model() };
    const ping: HttpRequest = { method: 'GET', path: '/ping', query: null, headers: {}, body: undefined };
    const before = await handleRequest(ctx, router, ping);
    model = rec;
    const after = await handleRequest(ctx, router, ping);
    expect([before.status, JSON.parse(before.body), after.status, JSON.parse(after.body)]).toEqual([
      503,
      { error: { code: 'MODEL_NOT_LOADED', message: 'No model loaded yet: loading' } },
      200,
      { status: 'ok', modelVersion: FIXTURE_VERSION },
    ]);
  });

  it('hides an unexpected failure behind a 500 and logs its cause', async () => {
    const errors: unknown[] = [];
    const log = {
      error: (_message: string, fields?: Record<string, unknown>) => errors.push(fields?.error),
    } as unknown as Log;
    const broken: Recommender = { ...rec, recommendForUser: () => Promise.reject(new Error('disk on fire')) };
    const response = await handleRequest(
      contextWith(broken, log),
      router,
      post('{"user_id":"u001"}', {}),
      log,
    );
    expect({ status: response.status, body: JSON.parse(response.body) }).toEqual({
      status: 500,
      body: { error: { code: 'INTERNAL', message: 'Internal server error' } },
    });
    expect(errors).toEqual([new Error('disk on fire')]);
  });
});

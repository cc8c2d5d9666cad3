import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type RecommenderProvider } from '../../container/app.js';
import type { Recommender } from '../../src/recommender/recommender.js';
import { casesFor, FIXTURE_VERSION, fixtureRecommender, urlOf } from '../helpers/api-cases.js';

const CONFIG = { maxBodyBytes: 4096, logLevel: 'info' as const, maxK: 100, maxBatch: 1000 };
const U001_TOP1 = { userId: 'u001', recommendations: [{ videoId: 'v004', score: 1.25 }] };
const U002_TOP1 = { userId: 'u002', recommendations: [{ videoId: 'v003', score: 0.5 }] };

/** A switchable provider and a captured log, so a test can serve with or without a model. */
function harness(): {
  provider: RecommenderProvider & { model: Recommender | undefined };
  lines: string[];
  stream: Writable;
} {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(
        ...chunk
          .toString()
          .split('\n')
          .filter((l) => l !== ''),
      );
      done();
    },
  });
  const provider = { model: undefined as Recommender | undefined, current: () => provider.model };
  return { provider, lines, stream };
}

describe('Function: createApp', () => {
  const h = harness();
  let app: FastifyInstance;
  const rec = fixtureRecommender();

  beforeAll(async () => {
    app = await createApp({ provider: h.provider, config: CONFIG, logStream: h.stream });
  });
  afterAll(async () => {
    await app.close();
  });

  for (const apiCase of casesFor('container')) {
    it(`answers the shared case: ${apiCase.name}`, async () => {
      // Prepare
      h.provider.model = apiCase.model === 'fixture' ? rec : undefined;
      // Act
      const response = await app.inject({
        method: apiCase.request.method,
        url: urlOf(apiCase),
        headers: apiCase.request.headers,
        ...(apiCase.request.body === undefined ? {} : { payload: apiCase.request.body }),
      });
      // Assess
      expect({ status: response.statusCode, body: response.json() }).toEqual(apiCase.expected);
      expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    });
  }

  it('answers JSON Lines with one line per request, errors in their own line', async () => {
    h.provider.model = rec;
    const response = await app.inject({
      method: 'POST',
      url: '/invocations',
      headers: { 'content-type': 'application/jsonlines' },
      payload: '{"user_id":"u001","k":1}\n\n{"user_id":"u999"}\nnot json\r\n{"user_id":"u002","k":1}\n',
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/jsonlines; charset=utf-8');
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
    h.provider.model = rec;
    const linesToJson = await app.inject({
      method: 'POST',
      url: '/invocations',
      headers: { 'content-type': 'application/jsonlines', accept: 'application/json' },
      payload: '{"user_id":"u001","k":1}\n{"user_id":"u002","k":1}\n',
    });
    const jsonToLines = await app.inject({
      method: 'POST',
      url: '/invocations',
      headers: { 'content-type': 'application/json', accept: 'application/jsonlines' },
      payload: '{"requests":[{"user_id":"u001","k":1},{"user_id":"u002","k":1}]}',
    });
    const preferred = await app.inject({
      method: 'POST',
      url: '/invocations',
      headers: {
        'content-type': 'application/json',
        accept: 'text/csv;q=1, application/jsonlines;q=0.5, */*;q=0.1',
      },
      payload: '{"user_id":"u001","k":1}',
    });
    expect({ type: linesToJson.headers['content-type'], body: linesToJson.json() }).toEqual({
      type: 'application/json; charset=utf-8',
      body: { responses: [U001_TOP1, U002_TOP1] },
    });
    expect({ type: jsonToLines.headers['content-type'], body: jsonToLines.body }).toEqual({
      type: 'application/jsonlines; charset=utf-8',
      body: `${JSON.stringify(U001_TOP1)}\n${JSON.stringify(U002_TOP1)}\n`,
    });
    expect(preferred.body).toBe(`${JSON.stringify(U001_TOP1)}\n`);
  });

  it('answers the transport errors with the shared error body', async () => {
    h.provider.model = rec;
    const cases = [
      {
        headers: { 'content-type': 'text/csv' },
        payload: 'u001,3',
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
      },
      {
        headers: { 'content-type': 'application/json' },
        payload: `{"user_id":"${'x'.repeat(5000)}"}`,
        status: 413,
        code: 'PAYLOAD_TOO_LARGE',
      },
      {
        headers: { 'content-type': 'application/json', accept: 'text/csv' },
        payload: '{"user_id":"u001"}',
        status: 406,
        code: 'NOT_ACCEPTABLE',
      },
      {
        headers: { 'content-type': 'application/jsonlines' },
        payload: '\n\n',
        status: 400,
        code: 'INVALID_REQUEST',
      },
    ];
    const answers = [];
    for (const c of cases) {
      const response = await app.inject({
        method: 'POST',
        url: '/invocations',
        headers: c.headers,
        payload: c.payload,
      });
      answers.push({ status: response.statusCode, code: response.json().error.code });
    }
    expect(answers).toEqual(cases.map((c) => ({ status: c.status, code: c.code })));
  });

  it('answers 405 with Allow for a wrong method and 404 for an unknown path', async () => {
    const wrongMethod = await app.inject({ method: 'GET', url: '/invocations' });
    const unknown = await app.inject({ method: 'GET', url: '/nowhere?x=1' });
    expect({
      status: wrongMethod.statusCode,
      allow: wrongMethod.headers.allow,
      body: wrongMethod.json(),
    }).toEqual({
      status: 405,
      allow: 'POST',
      body: { error: { code: 'METHOD_NOT_ALLOWED', message: 'Method not allowed' } },
    });
    expect({ status: unknown.statusCode, body: unknown.json() }).toEqual({
      status: 404,
      body: { error: { code: 'NOT_FOUND', message: 'No route for GET /nowhere' } },
    });
  });

  it('echoes X-Amzn-SageMaker-Custom-Attributes on success and on errors, and ignores unknown headers', async () => {
    h.provider.model = rec;
    const ok = await app.inject({
      method: 'POST',
      url: '/invocations',
      headers: {
        'content-type': 'application/json',
        'X-Amzn-SageMaker-Custom-Attributes': 'trace=abc',
        'x-made-up': '1',
      },
      payload: '{"user_id":"u001","k":1}',
    });
    const failed = await app.inject({
      method: 'POST',
      url: '/invocations',
      headers: { 'content-type': 'text/plain', 'x-amzn-sagemaker-custom-attributes': 'trace=def' },
      payload: 'x',
    });
    expect([ok.statusCode, ok.headers['x-amzn-sagemaker-custom-attributes'], ok.json()]).toEqual([
      200,
      'trace=abc',
      U001_TOP1,
    ]);
    expect([failed.statusCode, failed.headers['x-amzn-sagemaker-custom-attributes']]).toEqual([
      415,
      'trace=def',
    ]);
  });

  it('writes one JSON access line per request with method, path, status and request id', async () => {
    h.provider.model = rec;
    h.lines.length = 0;
    await app.inject({ method: 'GET', url: '/ping', headers: { 'x-amzn-requestid': 'req-1' } });
    await new Promise((r) => setTimeout(r, 20));
    const access = h.lines.map((l) => JSON.parse(l)).filter((l) => l.message === 'request');
    expect(access).toHaveLength(1);
    expect(access[0]).toMatchObject({
      level: 'info',
      reqId: 'req-1',
      method: 'GET',
      url: '/ping',
      status: 200,
      message: 'request',
    });
    expect(typeof access[0].ms).toBe('number');
  });

  it('serves OpenAPI 3.1 docs generated from the zod schemas, and the UI from installed files', async () => {
    const spec = (await app.inject({ url: '/docs/json' })).json();
    const ui = await app.inject({ url: '/docs/' });
    const bundle = await app.inject({ url: '/docs/static/swagger-ui-bundle.js' });
    const invocation = spec.paths['/invocations'].post;
    expect(spec.openapi).toBe('3.1.0');
    expect(Object.keys(invocation.requestBody.content).sort()).toEqual([
      'application/json',
      'application/jsonlines',
    ]);
    expect(invocation.requestBody.content['application/json'].schema.oneOf[0].properties.user_id.type).toBe(
      'string',
    );
    expect(Object.keys(invocation.responses).sort()).toEqual([
      '200',
      '400',
      '404',
      '406',
      '413',
      '415',
      '503',
    ]);
    expect(
      spec.paths['/ping'].get.responses['200'].content['application/json'].schema.properties.modelVersion
        .type,
    ).toBe('string');
    expect([ui.statusCode, ui.headers['content-type'], ui.body.includes('swagger-ui-bundle.js')]).toEqual([
      200,
      'text/html; charset=utf-8',
      true,
    ]);
    expect(bundle.statusCode).toBe(200);
    expect(bundle.body.length).toBeGreaterThan(100_000);
  });

  it('reports the version of whichever model is current (a swap is seen at once)', async () => {
    h.provider.model = undefined;
    const before = await app.inject({ url: '/ping' });
    h.provider.model = rec;
    const after = await app.inject({ url: '/ping' });
    expect([before.statusCode, after.statusCode, after.json()]).toEqual([
      503,
      200,
      { status: 'ok', modelVersion: FIXTURE_VERSION },
    ]);
  });
});

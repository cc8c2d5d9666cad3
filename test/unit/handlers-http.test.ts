import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { MiddlewareObj, Request } from '@middy/core';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { asLog } from '../../handlers/environment.js';
import {
  bodyGuard,
  type LambdaEnvironment,
  lambdaHandler,
  normaliseError,
  runRoute,
  toProxyResult,
} from '../../handlers/http.js';
import { ROUTES, type RouteContext, routeById } from '../../src/api/index.js';
import { InvalidRequestError, TransportError, UnknownUserError } from '../../src/core/errors.js';
import { DEFAULT_LIMITS } from '../../src/core/limits.js';
import type { Log, LogFields } from '../../src/core/log.js';
import { handleRequest, Router } from '../../src/http/index.js';
import { routeContext } from '../../src/serving/index.js';
import { lambdaContext, loadEvent } from '../events/api-gateway.js';
import { fixtureRecommender } from '../helpers/fixture-model.js';

type Stage = (request: Request<APIGatewayProxyEvent, APIGatewayProxyResult>) => unknown;
interface LogRecord {
  level: string;
  message: string;
  fields: LogFields | undefined;
}

const MAX_BODY = 64;
const invocations = routeById('invocations');
const userRecommendations = routeById('userRecommendations');
const rec = fixtureRecommender();
const MALFORMED = new InvalidRequestError('Invalid request: body must be valid JSON', [
  { field: 'body', message: 'must be valid JSON' },
]);

/** A Log that keeps what it is given. */
function recordingLog(records: LogRecord[] = []): Log & { records: LogRecord[] } {
  const at =
    (level: string) =>
    (message: string, fields?: LogFields): void => {
      records.push({ level, message, fields });
    };
  return {
    records,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: () => recordingLog(records),
  };
}

const contextOver = (log: Log): RouteContext =>
  routeContext({ maxK: DEFAULT_LIMITS.maxK, maxBatch: DEFAULT_LIMITS.maxBatch }, log, () => rec);

/** A Lambda environment over the fixture recommender, with its log and appended keys kept. */
function environment(overrides: Partial<LambdaEnvironment> = {}): LambdaEnvironment & {
  records: LogRecord[];
  keys: Record<string, unknown>[];
} {
  const log = recordingLog();
  const keys: Record<string, unknown>[] = [];
  return {
    maxBodyBytes: MAX_BODY,
    log,
    context: async () => contextOver(log),
    injectContext: () => ({ before: () => {} }),
    appendKeys: (k) => keys.push(k),
    records: log.records,
    keys,
    ...overrides,
  };
}

/** The container's pipeline (src/http handleRequest) for the request an event carries. */
async function containerAnswer(event: APIGatewayProxyEvent): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {}))
    if (value !== undefined) headers[name.toLowerCase()] = value;
  const response = await handleRequest(contextOver(recordingLog()), new Router(ROUTES), {
    method: event.httpMethod,
    path: event.path,
    query: event.queryStringParameters,
    headers,
    body: event.body ?? undefined,
  });
  return { status: response.status, body: JSON.parse(response.body) };
}

const parsed = (result: APIGatewayProxyResult) => ({
  status: result.statusCode,
  body: JSON.parse(result.body) as unknown,
});

const requestOf = (event: APIGatewayProxyEvent) =>
  ({ event, context: lambdaContext(), response: undefined, error: undefined, internal: {} }) as Request<
    APIGatewayProxyEvent,
    APIGatewayProxyResult
  >;

/** The error the installed @middy/http-json-body-parser throws for an event (undefined when it parses). */
async function parserError(event: APIGatewayProxyEvent): Promise<unknown> {
  try {
    await (httpJsonBodyParser().before as Stage)(requestOf(event));
    return undefined;
  } catch (error) {
    return error;
  }
}

const jsonEvent = (body: string | null | undefined): APIGatewayProxyEvent => {
  const event = loadEvent('invocations');
  event.body = body as string | null;
  return event;
};

afterEach(() => {
  vi.restoreAllMocks();
});

describe('Function: toProxyResult', () => {
  it('carries status, a copy of the headers and the body', () => {
    // Prepare
    const headers = { 'content-type': 'application/json', allow: 'GET, HEAD' };
    // Act
    const result = toProxyResult({ status: 405, headers, body: '{}' });
    // Assess
    expect(result).toEqual({ statusCode: 405, headers, body: '{}' });
    expect(result.headers).not.toBe(headers);
  });
});

describe('Function: normaliseError', () => {
  it("turns middy 7's malformed-JSON 422 into the container's 400 naming body", async () => {
    // Act
    const middyError = await parserError(jsonEvent('{"user_id":'));
    // Assess: the installed parser answers 422, we answer the container's 400
    expect((middyError as { statusCode: number }).statusCode).toBe(422);
    expect(normaliseError(middyError)).toEqual(MALFORMED);
  });

  it('turns a forbidden __proto__ or constructor key into the 400 the container gives for it', async () => {
    // Prepare
    const bodies = ['{"__proto__":{"admin":true}}', '{"filter":{"constructor":{"prototype":{}}}}'];
    // Act
    const errors = await Promise.all(
      bodies.map(async (body) => normaliseError(await parserError(jsonEvent(body)))),
    );
    const container = await Promise.all(bodies.map((body) => containerAnswer(jsonEvent(body))));
    // Assess
    expect(errors.map((e) => [(e as Error).message, (e as InvalidRequestError).issues])).toEqual([
      [
        'Invalid request: body must not contain the key "__proto__"',
        [{ field: 'body', message: 'must not contain the key "__proto__"' }],
      ],
      [
        'Invalid request: body must not contain the key "constructor"',
        [{ field: 'body', message: 'must not contain the key "constructor"' }],
      ],
    ]);
    expect(container.map((c) => c.body)).toEqual(
      errors.map((e) => ({
        error: {
          code: 'INVALID_REQUEST',
          message: (e as Error).message,
          issues: (e as InvalidRequestError).issues,
        },
      })),
    );
  });

  it("turns the parser's 422 for an undefined body into the malformed-JSON 400", async () => {
    // Act
    const middyError = await parserError(jsonEvent(undefined));
    // Assess
    expect((middyError as { statusCode: number }).statusCode).toBe(422);
    expect(normaliseError(middyError)).toEqual(MALFORMED);
  });

  it('treats the 415 that middy up to 7.1.0 threw for malformed JSON the same way', () => {
    // Prepare: the shape of @middy/util createError(415, ..., { cause }) in those versions
    const old = Object.assign(
      new Error('Invalid or malformed JSON was provided', {
        cause: { package: '@middy/http-json-body-parser', data: '{"user_id":' },
      }),
      { statusCode: 415, status: 415, expose: true },
    );
    // Act + Assess
    expect(normaliseError(old)).toEqual(MALFORMED);
  });

  it('leaves every other error as it is, including a parser error whose body does parse', () => {
    // Prepare
    const ours = new UnknownUserError('u9');
    const other = new Error('boom');
    const parses = Object.assign(
      new Error('x', { cause: { package: '@middy/http-json-body-parser', data: '{}', message: 'x' } }),
      { statusCode: 422 },
    );
    // Act + Assess
    expect([ours, other, 'text', parses].map(normaliseError)).toEqual([ours, other, 'text', parses]);
  });
});

describe('Function: bodyGuard', () => {
  const guard = (event: APIGatewayProxyEvent, route = invocations) =>
    (bodyGuard(route, MAX_BODY).before as Stage)(requestOf(event));

  it('refuses a body above the limit with 413 and accepts one exactly at it', () => {
    // Prepare
    const exact = jsonEvent(`{"user_id":"${'u'.repeat(MAX_BODY - 14)}"}`);
    const above = jsonEvent(`{"user_id":"${'u'.repeat(MAX_BODY - 13)}"}`);
    // Act + Assess
    expect(Buffer.byteLength(exact.body ?? '')).toBe(MAX_BODY);
    expect(() => guard(exact)).not.toThrow();
    expect(() => guard(above)).toThrow(
      new TransportError('PAYLOAD_TOO_LARGE', `Request body is larger than ${MAX_BODY} bytes`),
    );
  });

  it('counts multi-byte characters as bytes, and a base64 body by its decoded size', () => {
    // Prepare: 22 three-byte characters are 66 bytes; 60 bytes base64-encoded are 80 characters
    const wide = jsonEvent(`"${'€'.repeat(22)}"`);
    const base64 = jsonEvent(Buffer.from(`{"user_id":"${'u'.repeat(46)}"}`).toString('base64'));
    base64.isBase64Encoded = true;
    // Act + Assess
    expect(() => guard(wide)).toThrow(TransportError);
    expect(() => guard(base64)).not.toThrow();
    expect({ body: base64.body, isBase64Encoded: base64.isBase64Encoded }).toEqual({
      body: `{"user_id":"${'u'.repeat(46)}"}`,
      isBase64Encoded: false,
    });
  });

  it('refuses an unsupported Content-Type with 415 and an Accept it cannot answer with 406', () => {
    // Prepare
    const text = jsonEvent('{}');
    text.headers['content-type'] = 'text/plain';
    const html = jsonEvent('{}');
    html.headers.Accept = 'text/html';
    // Act + Assess
    expect(() => guard(text)).toThrow(
      new TransportError('UNSUPPORTED_MEDIA_TYPE', 'Unsupported Content-Type: text/plain'),
    );
    expect(() => guard(html)).toThrow(expect.objectContaining({ code: 'NOT_ACCEPTABLE' }));
  });

  it("refuses a missing or empty JSON body with the container's malformed-JSON 400", () => {
    // Act + Assess: REST APIs send `body: null` for an empty body
    for (const body of [null, '']) expect(() => guard(jsonEvent(body))).toThrow(MALFORMED);
  });

  it('names the content type in lower case, JSON when none was sent, JSON Lines for its aliases', () => {
    // Prepare
    const shouted = jsonEvent('{}');
    delete shouted.headers['content-type'];
    shouted.headers['CONTENT-TYPE'] = 'Application/JSON; charset=utf-8';
    const none = jsonEvent('{}');
    delete none.headers['content-type'];
    const lines = jsonEvent('');
    lines.headers['content-type'] = 'application/x-ndjson';
    // Act
    for (const event of [shouted, none, lines]) guard(event);
    // Assess: an empty JSON Lines body is left for the route to answer
    expect(
      [shouted, none, lines].map((e) => Object.entries(e.headers).filter(([k]) => /content-type/i.test(k))),
    ).toEqual([
      [['content-type', 'application/json']],
      [['content-type', 'application/json']],
      [['content-type', 'application/jsonlines']],
    ]);
  });
});

describe('Function: runRoute', () => {
  const ctx = contextOver(recordingLog());

  it('answers a GET route from its decoded path parameter and query', async () => {
    // Prepare
    const event = loadEvent('user-recommendations');
    event.pathParameters = { userId: '%75001' };
    event.queryStringParameters = { k: '2' };
    // Act
    const result = await runRoute(userRecommendations, ctx, event);
    // Assess
    expect(result).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        userId: 'u001',
        recommendations: [
          { videoId: 'v004', score: 1.25 },
          { videoId: 'v003', score: 0.75 },
        ],
      }),
    });
  });

  it('refuses a malformed percent-escape naming the parameter', async () => {
    // Prepare
    const event = loadEvent('user-recommendations');
    event.pathParameters = { userId: 'u%E0%A4%A' };
    // Act + Assess
    await expect(runRoute(userRecommendations, ctx, event)).rejects.toEqual(
      new InvalidRequestError('Invalid request: userId must be a valid percent-encoded UTF-8 path segment', [
        { field: 'userId', message: 'must be a valid percent-encoded UTF-8 path segment' },
      ]),
    );
  });

  it('answers a body the JSON parser already parsed', async () => {
    // Prepare: what @middy/http-json-body-parser leaves in the event
    const event = { ...loadEvent('invocations'), body: { user_id: 'u001', k: 1 } as unknown as string };
    // Act
    const result = await runRoute(invocations, ctx, event);
    // Assess
    expect(parsed(result)).toEqual({
      status: 200,
      body: { userId: 'u001', recommendations: [{ videoId: 'v004', score: 1.25 }] },
    });
  });

  it('answers JSON Lines with JSON Lines once the guard negotiated them', async () => {
    // Prepare
    const event = jsonEvent('{"user_id":"u001","k":1}\n{"user_id":"u999"}\n');
    event.headers['content-type'] = 'application/jsonlines';
    delete event.headers.Accept;
    (bodyGuard(invocations, 1024).before as Stage)(requestOf(event));
    // Act
    const result = await runRoute(invocations, ctx, event);
    // Assess
    expect(result).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'application/jsonlines' },
      body:
        '{"userId":"u001","recommendations":[{"videoId":"v004","score":1.25}]}\n' +
        '{"error":{"code":"UNKNOWN_USER","message":"Unknown user: u999"}}\n',
    });
  });

  it("lets the closed set's errors through for the error mapper", async () => {
    // Prepare
    const event = loadEvent('user-recommendations');
    event.pathParameters = { userId: 'u404' };
    // Act + Assess
    await expect(runRoute(userRecommendations, ctx, event)).rejects.toEqual(new UnknownUserError('u404'));
  });
});

describe('Function: lambdaHandler', () => {
  const refusals: [string, (event: APIGatewayProxyEvent) => void][] = [
    ['malformed JSON', (e) => (e.body = '{"user_id":')],
    ['a __proto__ key', (e) => (e.body = '{"user_id":"u001","__proto__":{"k":1}}')],
    ['an empty body', (e) => (e.body = null)],
    ['a wrong content type', (e) => (e.headers['content-type'] = 'text/csv')],
    ['an Accept it cannot answer', (e) => (e.headers.Accept = 'image/png')],
  ];
  for (const [name, change] of refusals) {
    it(`answers ${name} with the container's status and body`, async () => {
      // Prepare
      const event = loadEvent('invocations');
      change(event);
      const expected = await containerAnswer(structuredClone(event));
      // Act
      const result = await lambdaHandler(invocations, environment())(event, lambdaContext());
      // Assess
      expect(expected.status).toBeGreaterThanOrEqual(400);
      expect(parsed(result)).toEqual(expected);
    });
  }

  it('answers a body above MAX_BODY_BYTES with 413 without running the route', async () => {
    // Prepare
    const context = vi.fn(async () => contextOver(recordingLog()));
    const event = jsonEvent(JSON.stringify({ user_id: 'u001', exclude: ['x'.repeat(MAX_BODY)] }));
    // Act
    const result = await lambdaHandler(invocations, environment({ context }))(event, lambdaContext());
    // Assess
    expect({ response: parsed(result), routeRuns: context.mock.calls.length }).toEqual({
      response: {
        status: 413,
        body: {
          error: { code: 'PAYLOAD_TOO_LARGE', message: `Request body is larger than ${MAX_BODY} bytes` },
        },
      },
      routeRuns: 0,
    });
  });

  it('answers an unexpected error with a bare 500: no message, no stack, headers kept, cause logged', async () => {
    // Prepare
    const secret = new Error('secret: s3://bucket/key at /var/task/handlers/api.mjs:1:2');
    const env = environment({
      context: async () => {
        throw secret;
      },
    });
    // Act
    const result = await lambdaHandler(routeById('ping'), env)(loadEvent('ping'), lambdaContext());
    // Assess
    expect(parsed(result)).toEqual({
      status: 500,
      body: { error: { code: 'INTERNAL', message: 'Internal server error' } },
    });
    expect(result.body).not.toMatch(/secret|\.mjs|s3:/);
    expect(result.headers).toMatchObject({
      'content-type': 'application/json',
      'Access-Control-Allow-Origin': '*',
      'X-Content-Type-Options': 'nosniff',
    });
    expect(env.records.map((r) => [r.level, r.message, r.fields?.error ?? r.fields?.status])).toEqual([
      ['error', 'request failed', secret],
      ['info', 'request', 500],
    ]);
  });

  it('writes one access line per request, answer or error, with method, path, status and ms', async () => {
    // Prepare
    const env = environment();
    const handler = lambdaHandler(userRecommendations, env);
    const unknown = loadEvent('user-recommendations');
    unknown.pathParameters = { userId: 'u404' };
    unknown.path = '/users/u404/recommendations';
    // Act
    const statuses = [
      (await handler(loadEvent('user-recommendations'), lambdaContext())).statusCode,
      (await handler(unknown, lambdaContext())).statusCode,
    ];
    // Assess
    expect(statuses).toEqual([200, 404]);
    expect(env.records.map((r) => ({ ...r, fields: { ...r.fields, ms: typeof r.fields?.ms } }))).toEqual([
      {
        level: 'info',
        message: 'request',
        fields: { method: 'GET', path: '/users/u001/recommendations', status: 200, ms: 'number' },
      },
      {
        level: 'info',
        message: 'request',
        fields: { method: 'GET', path: '/users/u404/recommendations', status: 404, ms: 'number' },
      },
    ]);
    expect(env.keys).toEqual([
      { apiRequestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbe03' },
      { apiRequestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbe03' },
    ]);
  });

  it('puts both request ids on the access line through the Powertools logger', async () => {
    // Prepare
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    const logger = new Logger({ serviceName: 'video-recommender', logLevel: 'INFO' });
    const env = environment({
      log: asLog(logger),
      injectContext: () =>
        injectLambdaContext(logger, { resetKeys: true }) as MiddlewareObj<
          APIGatewayProxyEvent,
          APIGatewayProxyResult
        >,
      appendKeys: (keys) => logger.appendKeys(keys),
    });
    const context = lambdaContext('video-recommender-dev-ping');
    // Act
    const result = await lambdaHandler(routeById('ping'), env)(loadEvent('ping'), context);
    // Assess
    const records = lines
      .join('')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect({ status: result.statusCode, lines: records.length }).toEqual({ status: 200, lines: 1 });
    expect(records[0]).toMatchObject({
      level: 'INFO',
      message: 'request',
      service: 'video-recommender',
      function_name: 'video-recommender-dev-ping',
      function_request_id: context.awsRequestId,
      apiRequestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbe01',
      method: 'GET',
      path: '/ping',
      status: 200,
    });
  });
});

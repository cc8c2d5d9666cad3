import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { httpRoute, json, jsonBodyGuard, normaliseError, pathParameter } from '../../handlers/http.js';
import { InvalidRequestError, TransportError, UnknownUserError } from '../../src/core/errors.js';
import { lambdaContext, loadEvent } from '../events/api-gateway.js';

const MALFORMED = {
  status: 400,
  body: {
    error: {
      code: 'INVALID_REQUEST',
      message: 'Invalid request: body must be valid JSON',
      issues: [{ field: 'body', message: 'must be valid JSON' }],
    },
  },
};

const parse = (result: { statusCode: number; body: string }) => ({
  status: result.statusCode,
  body: JSON.parse(result.body),
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('Function: json', () => {
  it('builds a JSON response with the content type', () => {
    // Act
    const result = json(201, { a: [1, 'b'] });
    // Assess
    expect(result).toEqual({
      statusCode: 201,
      headers: { 'Content-Type': 'application/json' },
      body: '{"a":[1,"b"]}',
    });
  });
});

describe('Function: normaliseError', () => {
  // The shape of @middy/util's createError(status, message, { cause }) as the parser throws it.
  const parserError = (status: number, message: string, data: unknown) =>
    Object.assign(new Error(message, { cause: { package: '@middy/http-json-body-parser', data } }), {
      statusCode: status,
      status,
      expose: true,
    });

  it('turns middy 6 malformed JSON (415) into our INVALID_REQUEST naming body', () => {
    // Act
    const error = normaliseError(parserError(415, 'Invalid or malformed JSON was provided', '{"user_id":'));
    // Assess
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect({ message: (error as Error).message, issues: (error as InvalidRequestError).issues }).toEqual({
      message: 'Invalid request: body must be valid JSON',
      issues: [{ field: 'body', message: 'must be valid JSON' }],
    });
  });

  it('treats middy 7.1.1+ malformed JSON (422) the same way', () => {
    // Act
    const error = normaliseError(parserError(422, 'Invalid or malformed JSON was provided', '{'));
    // Assess
    expect((error as InvalidRequestError).code).toBe('INVALID_REQUEST');
  });

  it('turns the parser unsupported media type into our 415 with the service message', () => {
    // Act
    const error = normaliseError(parserError(415, 'Unsupported Media Type', 'text/csv'), {
      'Content-Type': 'text/csv',
    });
    // Assess
    expect(error).toBeInstanceOf(TransportError);
    expect({ code: (error as TransportError).code, message: (error as Error).message }).toEqual({
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: 'Unsupported Content-Type: text/csv',
    });
  });

  it('leaves every other error as it is', () => {
    // Prepare
    const ours = new UnknownUserError('u9');
    const other = new Error('boom');
    // Act + Assess
    expect([normaliseError(ours), normaliseError(other), normaliseError('text')]).toEqual([
      ours,
      other,
      'text',
    ]);
  });
});

describe('Function: pathParameter', () => {
  const event = (value: string | undefined) => ({
    pathParameters: value === undefined ? null : { userId: value },
  });

  it('decodes percent-escapes (UTF-8) and leaves `+` and plain ids as they are', () => {
    // Act + Assess
    expect(
      ['u%20001', 'u%C3%A9', 'a+b', 'u001', 'x%2Fy'].map((v) => pathParameter(event(v), 'userId')),
    ).toEqual(['u 001', 'ué', 'a+b', 'u001', 'x/y']);
  });

  it('returns undefined for a missing parameter', () => {
    // Act + Assess
    expect([pathParameter(event(undefined), 'userId'), pathParameter(event('u1'), 'videoId')]).toEqual([
      undefined,
      undefined,
    ]);
  });

  it('refuses a malformed escape with INVALID_REQUEST naming the parameter', () => {
    // Act
    const attempt = () => pathParameter({ pathParameters: { videoId: 'v%E0%A4%A' } }, 'videoId');
    // Assess
    expect(attempt).toThrow(InvalidRequestError);
    expect(attempt).toThrow('Invalid request: videoId must be a valid percent-encoded UTF-8 path segment');
    try {
      attempt();
    } catch (error) {
      expect((error as InvalidRequestError).issues).toEqual([
        { field: 'videoId', message: 'must be a valid percent-encoded UTF-8 path segment' },
      ]);
    }
  });
});

describe('Function: jsonBodyGuard', () => {
  const guard = jsonBodyGuard(16).before as (request: { event: APIGatewayProxyEvent }) => void;

  it('refuses a body above the limit with PAYLOAD_TOO_LARGE', () => {
    // Prepare
    const event = loadEvent('invocations');
    event.body = '{"user_id":"u0001234"}';
    // Act + Assess
    expect(() => guard({ event })).toThrow(
      new TransportError('PAYLOAD_TOO_LARGE', 'Request body is larger than 16 bytes'),
    );
  });

  it("refuses a missing or empty body with the container's malformed-JSON error", () => {
    // Prepare: REST APIs send `body: null` for an empty body.
    const missing = loadEvent('invocations');
    missing.body = null;
    const empty = loadEvent('invocations');
    empty.body = '';
    // Act + Assess
    for (const event of [missing, empty]) {
      expect(() => guard({ event })).toThrow(
        new InvalidRequestError('Invalid request: body must be valid JSON', [
          { field: 'body', message: 'must be valid JSON' },
        ]),
      );
    }
  });

  it('accepts a missing Content-Type as JSON and names the header in lower case for the parser', () => {
    // Prepare
    const event = loadEvent('invocations');
    event.body = '{}';
    delete event.headers['content-type'];
    event.headers['CONTENT-TYPE'] = 'Application/JSON; charset=utf-8';
    const without = loadEvent('invocations');
    without.body = '{}';
    delete without.headers['content-type'];
    // Act
    guard({ event });
    guard({ event: without });
    // Assess
    expect([
      event.headers['content-type'],
      event.headers['CONTENT-TYPE'],
      without.headers['content-type'],
    ]).toEqual(['application/json', undefined, 'application/json']);
  });
});

describe('Function: httpRoute', () => {
  it('answers an unexpected error with a bare 500 INTERNAL: no message, no stack, CORS headers kept', async () => {
    // Prepare
    const handler = httpRoute(async () => {
      throw new Error('secret: s3://bucket/key at /var/task/handlers/x.mjs:1:2');
    });
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const errorLog = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    // Act
    const result = await handler(loadEvent('ping'), lambdaContext());
    // Assess
    expect(parse(result)).toEqual({
      status: 500,
      body: { error: { code: 'INTERNAL', message: 'Internal server error' } },
    });
    expect(result.body).not.toMatch(/secret|\.mjs|at /);
    expect(result.headers).toMatchObject({
      'Access-Control-Allow-Origin': '*',
      'X-Content-Type-Options': 'nosniff',
    });
    // The cause goes to the log, with the request id, for whoever operates the service.
    expect(JSON.parse(String(errorLog.mock.calls[0]?.[0]))).toMatchObject({
      level: 'ERROR',
      message: 'request failed',
      code: 'INTERNAL',
      apiRequestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbe01',
      error: { name: 'Error', message: 'secret: s3://bucket/key at /var/task/handlers/x.mjs:1:2' },
    });
  });

  it('runs the real JSON body parser and maps its malformed-JSON error like the container', async () => {
    // Prepare
    const route = vi.fn(async () => json(200, {}));
    const handler = httpRoute(route, { jsonBody: true });
    const event = loadEvent('invocations');
    event.body = '{"user_id":';
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    // Act
    const result = await handler(event, lambdaContext());
    // Assess
    expect({ response: parse(result), routeCalls: route.mock.calls.length }).toEqual({
      response: MALFORMED,
      routeCalls: 0,
    });
  });

  it('hands the route the parsed body', async () => {
    // Prepare
    const handler = httpRoute(async (event: { body: unknown }) => json(200, { got: event.body }), {
      jsonBody: true,
    });
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    // Act
    const result = await handler(loadEvent('invocations'), lambdaContext());
    // Assess
    expect(parse(result)).toEqual({ status: 200, body: { got: { user_id: 'u001', k: 3 } } });
  });
});

describe('Function: errorsAndAccessLog (through httpRoute)', () => {
  it('writes one structured JSON line per request with the Lambda and API Gateway request ids', async () => {
    // Prepare
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    const handler = httpRoute(async () => {
      throw new UnknownUserError('u404');
    });
    const context = lambdaContext('video-recommender-dev-userRecommendations');
    // Act
    const result = await handler(loadEvent('user-recommendations'), context);
    // Assess
    const records = lines
      .join('')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(result.statusCode).toBe(404);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      level: 'INFO',
      message: 'request',
      service: 'video-recommender',
      function_name: 'video-recommender-dev-userRecommendations',
      function_request_id: context.awsRequestId,
      apiRequestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbe03',
      method: 'GET',
      path: '/users/u001/recommendations',
      status: 404,
    });
  });
});

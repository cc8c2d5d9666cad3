/**
 * The one middy stack every Lambda route shares: Lambda context in the logs, an optional JSON body
 * (size- and media-type-checked, then parsed by @middy/http-json-body-parser), CORS and security headers,
 * one access-log line per request, and the single error mapper from the closed error set to
 * `{"error":{"code","message"}}`, through the same `toErrorResponse` the container uses.
 * @module
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddlewareObj, type MiddyfiedHandler } from '@middy/core';
import httpCors from '@middy/http-cors';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import httpSecurityHeaders from '@middy/http-security-headers';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { decodePathParameter, parseJsonBody, requireContentType } from '../src/api/service.js';
import { InvalidRequestError, payloadTooLargeError, toErrorResponse } from '../src/core/errors.js';
import { config, logger } from './logger.js';

/** An API Gateway REST (v1) proxy event whose body the JSON parser has replaced by the parsed value. */
export type JsonEvent = Omit<APIGatewayProxyEvent, 'body'> & { body: unknown };

/** A route: the plain async function the middy stack wraps (each handler exports it for unit tests). */
export type Route<E> = (event: E, context: Context) => Promise<APIGatewayProxyResult>;

/** What the Lambda runtime calls. */
export type LambdaHandler<E> = MiddyfiedHandler<E, APIGatewayProxyResult>;

type Headers = APIGatewayProxyEvent['headers'] | null | undefined;

// Supported by the middleware (v6 index.js) but missing from its index.d.ts.
const noReportingEndpoints = { reportingEndpoints: false } as Parameters<typeof httpSecurityHeaders>[0];

/**
 * A JSON response with the content type set once, here.
 * @param status - HTTP status code
 * @param body - any JSON-serialisable value
 */
export function json(status: number, body: unknown): APIGatewayProxyResult {
  return { statusCode: status, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
}

/** The Content-Type header whatever its case (REST APIs pass header names as the client sent them). */
function contentType(headers: Headers): string | undefined {
  const name = Object.keys(headers ?? {}).find((key) => key.toLowerCase() === 'content-type');
  return name === undefined ? undefined : headers?.[name];
}

/**
 * Turns @middy/http-json-body-parser's http errors into our closed set, with the service's own errors so
 * both targets answer alike. Malformed JSON was a 415 up to middy 7.1.0 and a 422 from 7.1.1; a wrong
 * content type is 415 throughout: only the message tells them apart, so we re-check with our functions.
 * @param error - anything a middleware or route threw
 * @param headers - the request headers, for the content-type case
 */
export function normaliseError(error: unknown, headers?: Headers): unknown {
  if (!(error instanceof Error)) return error;
  const cause = error.cause as { package?: unknown; data?: unknown } | undefined;
  if (cause?.package !== '@middy/http-json-body-parser') return error;
  try {
    if (error.message === 'Unsupported Media Type') requireContentType(contentType(headers));
    parseJsonBody(typeof cause.data === 'string' ? cause.data : '');
  } catch (ours) {
    return ours;
  }
  return new InvalidRequestError('Invalid request: body must be valid JSON', [], { cause: error });
}

/**
 * A path parameter as the client meant it. API Gateway REST (v1) proxy events carry `pathParameters`
 * exactly as the request path spelled them, percent-escapes included (the container's router decodes).
 * @param event - the proxy event
 * @param name - the parameter, as in the resource template (`userId` for `/users/{userId}/...`)
 * @returns the decoded value, or undefined when absent (the service then reports it as required)
 * @throws InvalidRequestError naming the parameter when an escape is malformed
 */
export function pathParameter(
  event: Pick<APIGatewayProxyEvent, 'pathParameters'>,
  name: string,
): string | undefined {
  const raw = event.pathParameters?.[name];
  return raw === undefined ? undefined : decodePathParameter(raw, name);
}

/**
 * Guards a JSON body before the parser sees it: 413 above `maxBytes`, 415 for a media type the service
 * refuses (a missing header counts as JSON, as on the container), 400 for a missing or empty body (as the
 * container answers it), and the header renamed to lower case so the parser finds it.
 * @param maxBytes - largest accepted body (MAX_BODY_BYTES)
 */
export function jsonBodyGuard(maxBytes: number): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    before: ({ event }) => {
      if (typeof event.body === 'string') {
        const bytes = event.isBase64Encoded
          ? Math.floor((event.body.length * 3) / 4)
          : Buffer.byteLength(event.body, 'utf8');
        if (bytes > maxBytes) {
          throw payloadTooLargeError(maxBytes);
        }
      }
      const media = requireContentType(contentType(event.headers));
      // REST APIs send `body: null` for an empty body, which the parser would hand on as no body at all;
      // the container reads it as empty text, which is not JSON: same 400 on both.
      if (event.body === null || event.body === undefined || event.body === '') parseJsonBody('');
      const headers: APIGatewayProxyEvent['headers'] = {};
      for (const [name, value] of Object.entries(event.headers ?? {})) {
        if (name.toLowerCase() !== 'content-type') headers[name] = value;
      }
      headers['content-type'] = media;
      event.headers = headers;
    },
  };
}

/**
 * The error mapper (middy `onError`) and the access log: one line per request carrying the API Gateway
 * request id next to the Lambda one; a 5xx logs its cause, and no response ever carries a stack trace.
 */
export function errorsAndAccessLog(): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  const started = new WeakMap<object, number>();
  const access = (event: APIGatewayProxyEvent, context: object, status: number): void => {
    const ms = performance.now() - (started.get(context) ?? performance.now());
    logger.info('request', {
      method: event.httpMethod,
      path: event.path,
      status,
      ms: Math.round(ms * 100) / 100,
    });
  };
  return {
    before: ({ event, context }) => {
      started.set(context, performance.now());
      logger.appendKeys({ apiRequestId: event.requestContext?.requestId });
    },
    after: ({ event, context, response }) => {
      access(event, context, response?.statusCode ?? 200);
    },
    onError: (request) => {
      const { status, body } = toErrorResponse(normaliseError(request.error, request.event.headers));
      if (status >= 500) logger.error('request failed', { code: body.error.code, error: request.error });
      request.response = json(status, body);
      access(request.event, request.context, status);
    },
  };
}

/**
 * Wraps a route in the shared middy stack. Middleware first, handler last; `onError` hooks run in
 * reverse, so the error mapper (registered after CORS and security headers) answers before they
 * decorate the response.
 * @param route - the plain route function
 * @param options.jsonBody - check and parse the request body as JSON (POST routes)
 * @example
 * export const handler = httpRoute(userRecommendationsRoute);
 */
export function httpRoute<E extends APIGatewayProxyEvent | JsonEvent>(
  route: Route<E>,
  options: { jsonBody?: boolean } = {},
): LambdaHandler<E> {
  const stack = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    // No reporting endpoint exists, so no empty Reporting-Endpoints header either.
    .use(httpSecurityHeaders(noReportingEndpoints))
    // `*` is safe here: clients authenticate with an x-api-key header, never with cookies.
    .use(httpCors({ origin: '*', headers: 'Content-Type,X-Api-Key' }))
    .use(errorsAndAccessLog());
  if (options.jsonBody) stack.use(jsonBodyGuard(config.maxBodyBytes)).use(httpJsonBodyParser());
  // The parser turns `body` from a string into the parsed value: the route's event type says so.
  return stack.handler(route as unknown as Route<APIGatewayProxyEvent>) as unknown as LambdaHandler<E>;
}

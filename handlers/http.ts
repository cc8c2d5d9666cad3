/**
 * The one middy stack every Lambda route is wrapped in, made from the route table: Lambda context in
 * the logs, security and CORS headers, for body routes a guard (413 size, 415 content type, 406
 * Accept, 400 empty body) and @middy/http-json-body-parser, then the route's service function. Errors
 * leave through one `onError`, the same mapper (src/http) the container uses, so status codes and
 * bodies match on both targets.
 * (adapter) -> route table -> service -> recommender
 * @module
 */
import middy, { type MiddlewareObj, type MiddyfiedHandler } from '@middy/core';
import httpCors from '@middy/http-cors';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import httpSecurityHeaders from '@middy/http-security-headers';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import {
  type AnswerCounts,
  answerCounts,
  forbiddenKey,
  NO_ANSWERS,
  parseJsonBody,
  type Route,
  type RouteContext,
  type RouteInput,
} from '../src/api/index.js';
import { payloadTooLargeError } from '../src/core/errors.js';
import type { Log } from '../src/core/log.js';
import {
  answerResponse,
  decodePathParameter,
  errorResponse,
  type HttpResponse,
  type InvocationFormat,
  JSON_LINES_TYPE,
  negotiate,
} from '../src/http/index.js';

/** What the Lambda runtime calls. */
export type LambdaHandler = MiddyfiedHandler<APIGatewayProxyEvent, APIGatewayProxyResult>;

type Headers = APIGatewayProxyEvent['headers'] | null | undefined;

/** A header whatever its case (REST APIs pass header names as the client sent them). */
function header(headers: Headers, name: string): string | undefined {
  const key = Object.keys(headers ?? {}).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : (headers?.[key] ?? undefined);
}

/** An HTTP response as API Gateway's proxy integration returns it. */
export function toProxyResult(response: HttpResponse): APIGatewayProxyResult {
  return { statusCode: response.status, headers: { ...response.headers }, body: response.body };
}

/** The keys @middy/util's `jsonParseProtectProto` refuses (its 422 then carries the key as `data`). */
const PROTO_KEYS: readonly unknown[] = ['__proto__', 'constructor'];

/**
 * @middy/http-json-body-parser's errors as ours: malformed JSON (a 422 carrying the parse error, or a
 * 415 before middy 7.1.1) and a missing body become the container's 400 for invalid JSON, a refused
 * prototype key the container's 400 for that key. Told apart by the error's structure, not its message.
 */
export function normaliseError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const cause = error.cause as { package?: unknown; data?: unknown; message?: unknown } | undefined;
  if (cause?.package !== '@middy/http-json-body-parser') return error;
  const status = (error as { statusCode?: unknown }).statusCode;
  if (status === 422 && cause.message === undefined && PROTO_KEYS.includes(cause.data)) {
    return forbiddenKey(cause.data as string);
  }
  try {
    parseJsonBody(typeof cause.data === 'string' ? cause.data : '');
  } catch (ours) {
    return ours;
  }
  return error;
}

/** The formats the guard negotiated for an event, read by the route. */
const formats = new WeakMap<object, { request: InvocationFormat; response: InvocationFormat }>();
/** What each event's answer held, for the metrics. */
const answered = new WeakMap<object, AnswerCounts>();

/**
 * Checks a body route's request before the parser sees it: 413 above `maxBytes`, 415 and 406 from
 * Content-Type and Accept (as on the container), 400 for a missing or empty JSON body; then names the
 * content type in lower case so the parser finds it (it parses JSON and leaves JSON Lines text as is).
 */
export function bodyGuard(
  route: Route,
  maxBytes: number,
): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    before: ({ event }) => {
      if (typeof event.body === 'string') {
        // Decoded here once, so the limit counts the bytes the client sent and JSON Lines (which the
        // JSON parser leaves alone) reaches the route as text, not base64.
        const bytes = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : undefined;
        if ((bytes?.byteLength ?? Buffer.byteLength(event.body, 'utf8')) > maxBytes)
          throw payloadTooLargeError(maxBytes);
        if (bytes) {
          event.body = bytes.toString('utf8');
          event.isBase64Encoded = false;
        }
      }
      const negotiated = negotiate(
        route,
        header(event.headers, 'content-type'),
        header(event.headers, 'accept'),
      );
      formats.set(event, negotiated);
      // REST APIs send `body: null` for an empty body; the container reads it as empty text, which is not JSON.
      if ((event.body ?? '') === '' && negotiated.request !== JSON_LINES_TYPE) parseJsonBody('');
      const headers: APIGatewayProxyEvent['headers'] = {};
      for (const [name, value] of Object.entries(event.headers ?? {})) {
        if (name.toLowerCase() !== 'content-type') headers[name] = value;
      }
      headers['content-type'] = negotiated.request;
      event.headers = headers;
    },
  };
}

/**
 * The error mapper (middy `onError`) and the access log: one line per request with both request ids;
 * `observe` sees each request's status, time and answers (the metrics).
 */
export function errorsAndAccessLog(
  log: Log,
  appendKeys: (keys: Record<string, unknown>) => void,
  observe?: (status: number, ms: number, answers: AnswerCounts) => void,
): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  const started = new WeakMap<object, number>();
  const access = (event: APIGatewayProxyEvent, context: object, status: number): void => {
    const ms = performance.now() - (started.get(context) ?? performance.now());
    observe?.(status, ms, answered.get(event) ?? NO_ANSWERS);
    log.info('request', {
      method: event.httpMethod,
      path: event.path,
      status,
      ms: Math.round(ms * 100) / 100,
    });
  };
  return {
    before: ({ event, context }) => {
      started.set(context, performance.now());
      appendKeys({ apiRequestId: event.requestContext?.requestId });
    },
    after: ({ event, context, response }) => access(event, context, response?.statusCode ?? 200),
    onError: (request) => {
      const response = toProxyResult(errorResponse(normaliseError(request.error), log));
      request.response = response;
      access(request.event, request.context, response.statusCode);
    },
  };
}

/** A route as a plain function of the event: for unit tests, and the core of the wrapped handler. */
export async function runRoute(
  route: Route,
  ctx: RouteContext,
  event: APIGatewayProxyEvent,
): Promise<APIGatewayProxyResult> {
  const params: Record<string, string> = {};
  for (const [name, raw] of Object.entries(event.pathParameters ?? {})) {
    if (raw !== undefined) params[name] = decodePathParameter(raw, name);
  }
  const negotiated = formats.get(event) ?? { request: 'application/json', response: 'application/json' };
  const jsonLines = negotiated.request === JSON_LINES_TYPE;
  const input: RouteInput = {
    params,
    query: event.queryStringParameters,
    body: jsonLines ? (event.body ?? '') : (event.body as unknown),
    format: jsonLines ? 'jsonlines' : 'json',
  };
  const answer = await route.handle(ctx, input);
  answered.set(event, answerCounts(answer));
  return toProxyResult(answerResponse(answer, negotiated.response));
}

/** Everything a wrapped route needs from its execution environment. */
export interface LambdaEnvironment {
  maxBodyBytes: number;
  log: Log;
  /** the route context of this request (resolves the current model first) */
  context(): Promise<RouteContext>;
  /** Powertools: add the Lambda context to every log line */
  injectContext(): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult>;
  appendKeys(keys: Record<string, unknown>): void;
  /** sees every request of a route: its status, time and answers (metrics) */
  observe?(route: Route, status: number, ms: number, answers: AnswerCounts): void;
  /** middlewares around everything else, outermost first (tracing, the metrics flush) */
  outer?(): MiddlewareObj[];
}

/**
 * Wraps a route of the table in the shared middy stack. Middleware first, handler last; `onError`
 * hooks run in reverse, so the error mapper answers before CORS and security headers decorate it.
 * @example
 * export const ping = lambdaHandler(routeById('ping'), environment);
 */
export function lambdaHandler(route: Route, env: LambdaEnvironment): LambdaHandler {
  const stack = middy<APIGatewayProxyEvent, APIGatewayProxyResult>();
  for (const middleware of env.outer?.() ?? [])
    stack.use(middleware as MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult>);
  stack
    .use(env.injectContext())
    // No reporting endpoint exists, so no empty Reporting-Endpoints header either.
    .use(httpSecurityHeaders({ reportingEndpoints: false } as Parameters<typeof httpSecurityHeaders>[0]))
    // `*` is safe here: clients authenticate with an x-api-key header, never with cookies.
    .use(httpCors({ origin: '*', headers: 'Content-Type,X-Api-Key' }))
    .use(
      errorsAndAccessLog(env.log, env.appendKeys, (status, ms, answers) =>
        env.observe?.(route, status, ms, answers),
      ),
    );
  if (route.body)
    stack.use(bodyGuard(route, env.maxBodyBytes)).use(httpJsonBodyParser({ disableContentTypeError: true }));
  return stack.handler(async (event: APIGatewayProxyEvent, _context: Context) =>
    runRoute(route, await env.context(), event),
  );
}

/**
 * API Gateway REST (v1) proxy events for the handler tests: one fixture per route in `apigw-rest/*.json`,
 * and {@link eventFor}, which turns an HTTP request (a shared api-case) into the event API Gateway would
 * send for it, starting from that route's fixture. The fixtures have the full shape of the REST API proxy
 * event in the Lambda developer guide's API Gateway sample (CloudFront edge headers, single- and multi-value
 * headers and query, `requestContext` with stage, request id and the API-key identity), as a `curl` request
 * through a `dev` stage produces it.
 * @module
 */
import { readFileSync } from 'node:fs';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { ROUTES as TABLE, type Route as TableRoute } from '../../src/api/index.js';

/** A route id as its fixture's file name: `userRecommendations` -> `user-recommendations`. */
const kebab = (id: string): string => id.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/**
 * The Lambda routes, from the route table (src/api/routes.ts): the function name and handler export
 * (`handlers/api.<id>`), method, resource template and the fixture event of each.
 */
export const ROUTES = TABLE.filter((route) => route.targets.includes('lambda')).map((route) => ({
  id: route.id,
  method: route.method,
  resource: route.path,
  fixture: kebab(route.id),
}));

export type Route = (typeof ROUTES)[number];
export type RouteId = TableRoute['id'];

/** A route's fixture event, freshly parsed (safe to mutate). */
export function loadEvent(fixture: string): APIGatewayProxyEvent {
  const url = new URL(`./apigw-rest/${fixture}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as APIGatewayProxyEvent;
}

/** An HTTP request as a client sends it. */
export interface HttpRequest {
  method: string;
  /** path without the query string */
  path: string;
  query?: Record<string, string> | undefined;
  headers?: Record<string, string> | undefined;
  body?: string | undefined;
}

function match(resource: string, path: string): Record<string, string> | undefined {
  const want = resource.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const part = want[i] ?? '';
    const value = got[i] ?? '';
    if (part.startsWith('{') && part.endsWith('}')) {
      if (value === '') return undefined;
      // As sent: REST APIs do not decode path parameters (serverless/serverless#5037).
      params[part.slice(1, -1)] = value;
    } else if (part !== value) return undefined;
  }
  return params;
}

/**
 * The route serving a request and the event API Gateway would hand its function: the route fixture with
 * the request's path, path parameters (percent-escapes kept, as API Gateway passes them), query, headers
 * (single- and multi-value) and body (`null` when empty); the fixture's own body headers are dropped so a
 * request without a Content-Type really has none.
 * @returns undefined when no route matches (API Gateway itself would answer 404)
 */
export function eventFor(request: HttpRequest): { route: Route; event: APIGatewayProxyEvent } | undefined {
  for (const route of ROUTES) {
    if (route.method !== request.method) continue;
    const params = match(route.resource, request.path);
    if (!params) continue;
    const event = loadEvent(route.fixture);
    // The request's own headers replace the fixture's of the same name, whatever their case: a client sends one Accept.
    const sent = new Set(Object.keys(request.headers ?? {}).map((name) => name.toLowerCase()));
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(event.headers)) {
      if (!/^content-(type|length)$/i.test(name) && !sent.has(name.toLowerCase()) && value !== undefined)
        headers[name] = value;
    }
    Object.assign(headers, request.headers ?? {});
    if (request.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(request.body));
    const query = request.query && Object.keys(request.query).length > 0 ? request.query : null;
    event.path = request.path;
    event.requestContext.path = `/${event.requestContext.stage}${request.path}`;
    event.pathParameters = Object.keys(params).length > 0 ? params : null;
    event.queryStringParameters = query;
    event.multiValueQueryStringParameters =
      query && Object.fromEntries(Object.entries(query).map(([k, v]) => [k, [v]]));
    event.headers = headers;
    event.multiValueHeaders = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]]));
    // REST APIs send `null` for a missing or empty body.
    event.body = request.body === undefined || request.body === '' ? null : request.body;
    return { route, event };
  }
  return undefined;
}

/** A Lambda context like the runtime's, for invoking a wrapped handler outside Lambda. */
export function lambdaContext(functionName = 'video-recommender-dev-ping'): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: crypto.randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2025/03/13/[$LATEST]0123456789abcdef0123456789abcdef',
    getRemainingTimeInMillis: () => 10_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

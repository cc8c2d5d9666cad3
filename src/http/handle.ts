/**
 * The request pipeline over the route table for a server that receives raw HTTP (the container):
 * route (404/405), content type (415), Accept (406), JSON or JSON Lines body (400), the route's
 * service function, then the answer or the one error mapper. The Lambda adapter runs the same steps
 * with middy doing the body parsing (handlers/http.ts) and the same functions from this folder.
 * @module
 */
import {
  answerCounts,
  NO_ANSWERS,
  parseJsonBody,
  type Route,
  type RouteContext,
  type RouteInput,
} from '../api/index.js';
import type { Log } from '../core/log.js';
import { type InvocationFormat, JSON_LINES_TYPE, JSON_TYPE, requestFormat, responseFormat } from './media.js';
import { answerResponse, errorResponse, type HttpResponse } from './respond.js';
import type { Router } from './router.js';

/** A request as the container received it; header names lower-cased. */
export interface HttpRequest {
  method: string;
  /** the path without the query string, escapes as sent */
  path: string;
  query: Readonly<Record<string, string | undefined>> | null;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** the body text, undefined when none was sent */
  body: string | undefined;
}

const header = (headers: HttpRequest['headers'], name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
};

/**
 * The body's format and the answer's format for a route, from Content-Type and Accept.
 * @throws TransportError 415 / 406
 */
export function negotiate(
  route: Route,
  contentType: string | undefined,
  accept: string | undefined,
): { request: InvocationFormat; response: InvocationFormat } {
  if (!route.body) return { request: JSON_TYPE, response: JSON_TYPE };
  const request = requestFormat(contentType, route.body.jsonLines);
  return { request, response: responseFormat(accept, request) };
}

/** The route input of a body in its format: parsed JSON, or JSON Lines text. */
export function bodyInput(
  format: InvocationFormat,
  body: string | undefined,
): Pick<RouteInput, 'body' | 'format'> {
  if (format === JSON_LINES_TYPE) return { body: body ?? '', format: 'jsonlines' };
  return { body: parseJsonBody(body ?? ''), format: 'json' };
}

/** Route of a request that never reached one (404, 405, a malformed path). */
export const UNROUTED = 'unrouted';

/**
 * Answers one request; the response's `meta` names the route and what the answer held (metrics).
 * @example
 * const response = await handleRequest(ctx, router, { method: 'GET', path: '/ping', query: null, headers: {}, body: undefined });
 */
export async function handleRequest(
  ctx: RouteContext,
  router: Router,
  request: HttpRequest,
  log?: Log,
): Promise<HttpResponse> {
  let routeId = UNROUTED;
  try {
    const { route, params } = router.match(request.method, request.path);
    routeId = route.id;
    const formats = negotiate(
      route,
      header(request.headers, 'content-type'),
      header(request.headers, 'accept'),
    );
    const input: RouteInput = {
      params,
      query: request.query,
      ...(route.body ? bodyInput(formats.request, request.body) : { body: undefined, format: 'json' }),
    };
    const answer = await route.handle(ctx, input);
    const response = answerResponse(answer, formats.response);
    response.meta = { route: route.id, answers: answerCounts(answer) };
    return response;
  } catch (error) {
    const response = errorResponse(error, log);
    response.meta = { route: routeId, answers: NO_ANSWERS };
    return response;
  }
}

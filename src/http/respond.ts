/**
 * Turning results and errors into HTTP responses, the same on both targets: JSON (or JSON Lines)
 * bodies with their content type, and the one error mapper from the closed error set to
 * `{"error":{"code","message"}}` with its status (src/core/errors.ts). A 5xx never carries internals.
 * @module
 */
import type { RouteAnswer } from '../api/index.js';
import { ModelNotLoadedError, RecommenderError, TransportError, toErrorResponse } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { type InvocationFormat, JSON_LINES_TYPE, JSON_TYPE } from './media.js';

/** A response as both adapters send it. */
export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A JSON response. */
export function jsonResponse(status: number, value: unknown): HttpResponse {
  return { status, headers: { 'content-type': JSON_TYPE }, body: JSON.stringify(value) };
}

/** A route's answer in the negotiated format. */
export function answerResponse(answer: RouteAnswer, format: InvocationFormat): HttpResponse {
  if (format === JSON_LINES_TYPE) {
    const items = answer.kind === 'one' ? [answer.value] : answer.items;
    let body = '';
    for (const item of items) body += `${JSON.stringify(item)}\n`;
    return { status: 200, headers: { 'content-type': JSON_LINES_TYPE }, body };
  }
  return jsonResponse(200, answer.kind === 'one' ? answer.value : { responses: answer.items });
}

/**
 * The response for anything thrown: our errors by their code's status, anything else a 500. A 5xx
 * whose message is not for clients is logged with its cause (the caller's log carries the request id).
 */
export function errorResponse(error: unknown, log?: Log): HttpResponse {
  const { status, body } = toErrorResponse(error);
  if (status >= 500 && !(error instanceof RecommenderError && error.expose))
    log?.error('request failed', { error });
  const response = jsonResponse(status, body);
  if (error instanceof TransportError && error.allow) response.headers.allow = error.allow;
  if (error instanceof ModelNotLoadedError && error.retryAfterSeconds !== undefined) {
    response.headers['retry-after'] = String(error.retryAfterSeconds);
  }
  return response;
}

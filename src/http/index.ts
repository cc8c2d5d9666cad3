/**
 * The HTTP kit both adapters share: routing over the route table, media types, the request pipeline,
 * and the one mapping from results and errors to responses.
 * @module
 */
export { bodyInput, type HttpRequest, handleRequest, negotiate, UNROUTED } from './handle.js';
export {
  type InvocationFormat,
  JSON_LINES_TYPE,
  JSON_TYPE,
  requestFormat,
  requireContentType,
  responseFormat,
} from './media.js';
export { answerResponse, errorResponse, type HttpResponse, jsonResponse } from './respond.js';
export { decodePathParameter, malformedPathParameter, type RouteMatch, Router } from './router.js';

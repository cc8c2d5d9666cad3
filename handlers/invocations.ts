/**
 * `POST /invocations` and `POST /recommendations`: the SageMaker container's body and answer (single
 * request, fold-in from a watched list, or `{"requests":[...]}`), so clients can switch targets without
 * changes. One route serves both paths; handlers/recommendations.ts re-exports it for its function.
 * (adapter) -> service -> recommender
 * @module
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { invoke } from '../src/api/service.js';
import { httpRoute, type JsonEvent, json } from './http.js';
import { asLog } from './logger.js';
import { recommender } from './model.js';

// Built once: the request-scoped keys live on the shared Powertools logger (injectLambdaContext).
const options = { log: asLog() };

/** The unwrapped route, for unit tests: `event.body` is the parsed JSON. */
export async function invocationsRoute(event: JsonEvent): Promise<APIGatewayProxyResult> {
  return json(200, invoke(await recommender(), event.body, options));
}

/** The Lambda entry point. */
export const handler = httpRoute(invocationsRoute, { jsonBody: true });

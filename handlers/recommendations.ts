/**
 * `POST /recommendations`: recommendations from a recently watched list (fold-in) for a user the model
 * has never seen, or any single request, or a batch `{"requests":[...]}`; same body as /invocations.
 * (adapter) -> service -> recommender
 * @module
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { invoke } from '../src/service.js';
import { httpRoute, type JsonEvent, json } from './http.js';
import { asLog } from './logger.js';
import { recommender } from './model.js';

/** The unwrapped route, for unit tests: `event.body` is the parsed JSON. */
export async function recommendationsRoute(event: JsonEvent): Promise<APIGatewayProxyResult> {
  return json(200, invoke(await recommender(), event.body, { log: asLog() }));
}

/** The Lambda entry point. */
export const handler = httpRoute(recommendationsRoute, { jsonBody: true });

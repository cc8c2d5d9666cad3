/**
 * `POST /invocations`: the SageMaker container's body and answer (single request or `{"requests":[...]}`),
 * so clients can switch targets without changes.
 * (adapter) -> service -> recommender
 * @module
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { invoke } from '../src/service.js';
import { httpRoute, type JsonEvent, json } from './http.js';
import { asLog } from './logger.js';
import { recommender } from './model.js';

/** The unwrapped route, for unit tests: `event.body` is the parsed JSON. */
export async function invocationsRoute(event: JsonEvent): Promise<APIGatewayProxyResult> {
  return json(200, invoke(await recommender(), event.body, { log: asLog() }));
}

/** The Lambda entry point. */
export const handler = httpRoute(invocationsRoute, { jsonBody: true });

/**
 * `GET /ping` (open, no API key): 200 with the model version once a model is loaded, 503 before.
 * (adapter) -> service -> recommender
 * @module
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ping } from '../src/api/service.js';
import { httpRoute, json } from './http.js';
import { recommender } from './model.js';

/** The unwrapped route, for unit tests. */
export async function pingRoute(_event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  return json(200, ping(await recommender()));
}

/** The Lambda entry point. */
export const handler = httpRoute(pingRoute);

/**
 * `GET /users/{userId}/recommendations?k=&fallback=&exclude=&allow=&keep_watched=&include_metadata=&language=&tags=`
 * (adapter) -> service -> recommender
 * @module
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { recommendForUser } from '../src/api/service.js';
import { httpRoute, json, pathParameter } from './http.js';
import { recommender } from './model.js';

/** The unwrapped route, for unit tests. */
export async function userRecommendationsRoute(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const rec = await recommender();
  return json(200, recommendForUser(rec, pathParameter(event, 'userId'), event.queryStringParameters));
}

/** The Lambda entry point. */
export const handler = httpRoute(userRecommendationsRoute);

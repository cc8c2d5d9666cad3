/**
 * `GET /videos/{videoId}/similar?k=&exclude=&allow=&include_metadata=&language=&tags=`
 * (adapter) -> service -> recommender
 * @module
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { similarVideos } from '../src/api/service.js';
import { httpRoute, json, pathParameter } from './http.js';
import { recommender } from './model.js';

/** The unwrapped route, for unit tests. */
export async function similarVideosRoute(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const rec = await recommender();
  return json(200, similarVideos(rec, pathParameter(event, 'videoId'), event.queryStringParameters));
}

/** The Lambda entry point. */
export const handler = httpRoute(similarVideosRoute);

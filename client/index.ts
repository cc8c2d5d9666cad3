/**
 * A typed client for the recommender API (both targets), on openapi-fetch with the types generated
 * from our OpenAPI description (client/schema.d.ts): paths, parameters, bodies and answers are
 * checked by the compiler.
 * @example
 * const api = createRecommenderClient({ baseUrl: 'https://abc.execute-api.us-east-1.amazonaws.com/dev', apiKey });
 * const { data, error } = await api.POST('/invocations', { body: { user_id: 'u001', k: 3 } });
 * const similar = await api.GET('/videos/{videoId}/similar', { params: { path: { videoId: 'v001' }, query: { k: '5' } } });
 * @module
 */
import createClient, { type Client } from 'openapi-fetch';
import type { paths } from './schema.js';

export type { components, paths } from './schema.js';

/** Where the API is and how to reach it. */
export interface ClientOptions {
  /** e.g. `http://localhost:8080` (container) or the API Gateway stage URL (Lambda) */
  baseUrl: string;
  /** the API Gateway key (Lambda target); the container needs none */
  apiKey?: string;
  /** a fetch to use instead of the global one (tests, retries, tracing) */
  fetch?: typeof globalThis.fetch;
}

/** A typed client for the API at `baseUrl`. */
export function createRecommenderClient(options: ClientOptions): Client<paths> {
  return createClient<paths>({
    baseUrl: options.baseUrl,
    headers: options.apiKey ? { 'x-api-key': options.apiKey } : {},
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}

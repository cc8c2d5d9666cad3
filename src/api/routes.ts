/**
 * The API, declared once: every route's method, path, body, schemas, service function, targets and
 * OpenAPI summary and examples. The container's router, the Lambda handlers, the OpenAPI description
 * and the check of serverless.yml (test/unit/routes.test.ts) are all made from this table.
 * @module
 */
import { z } from 'zod';
import { TransportError } from '../core/errors.js';
import type { Recommender } from '../recommender/index.js';
import { type ExecutionParameters, executionParametersSchema } from './execution-parameters.js';
import type { PingResponse, Schemas } from './schemas.js';
import {
  answerJsonLines,
  type BatchItem,
  invoke,
  type ServiceEnv,
  similarUsersOf,
  similarVideos,
  userRecommendations,
} from './service.js';

/** What a route runs against: the current model (or why there is none) and the service settings. */
export interface RouteContext {
  /** The current model; throws ModelNotLoadedError (503) saying why there is none. */
  model(): Recommender;
  env: ServiceEnv;
  /** the container's answer to GET /execution-parameters (SageMaker Batch Transform) */
  execution?: ExecutionParameters;
}

/** A request after transport: decoded path parameters, query strings, and the body. */
export interface RouteInput {
  params: Readonly<Record<string, string | undefined>>;
  query: Readonly<Record<string, string | undefined>> | null | undefined;
  /** the parsed JSON body, or for `jsonlines` the raw text */
  body: unknown;
  format: 'json' | 'jsonlines';
}

/** One answer, or several (a batch: `{"responses":[...]}` in JSON, one line each in JSON Lines). */
export type RouteAnswer = { kind: 'one'; value: unknown } | { kind: 'many'; items: BatchItem[] };

/** Which targets serve a route. */
export type Target = 'lambda' | 'container';

/** An OpenAPI example: what "Try it out" sends. */
export interface Example {
  summary: string;
  value: unknown;
}

/** One route of the API. */
export interface Route {
  id:
    | 'ping'
    | 'invocations'
    | 'recommendations'
    | 'userRecommendations'
    | 'similarVideos'
    | 'similarUsers'
    | 'executionParameters';
  method: 'GET' | 'POST';
  /** OpenAPI path template, e.g. `/users/{userId}/recommendations` */
  path: string;
  summary: string;
  description: string;
  tag: 'Recommendations' | 'Operations';
  /** `api-key`: API Gateway requires the x-api-key header (Lambda); the container sits behind SageMaker's own auth */
  auth: 'open' | 'api-key';
  /** request body: JSON, and JSON Lines too when `jsonLines` */
  body?: { jsonLines: boolean; schema: (s: Schemas) => z.ZodType; examples: Record<string, Example> };
  params?: (s: Schemas) => z.ZodObject;
  query?: (s: Schemas) => z.ZodObject;
  /** the 200 body */
  ok: (s: Schemas) => z.ZodType;
  /** the error statuses this route answers besides 500, and when */
  errors: Readonly<Record<number, string>>;
  targets: readonly Target[];
  handle(ctx: RouteContext, input: RouteInput): Promise<RouteAnswer>;
}

const BOTH: readonly Target[] = ['lambda', 'container'];
const one = async (value: Promise<unknown> | unknown): Promise<RouteAnswer> => ({
  kind: 'one',
  value: await value,
});

const BODY_EXAMPLES: Record<string, Example> = {
  user: {
    summary: 'Recommendations for a known user (the original request)',
    value: { user_id: 'u001', k: 3 },
  },
  unknownUser: {
    summary: 'An unknown user gets the most popular videos',
    value: { user_id: 'someone-new', k: 3, fallback: 'popular' },
  },
  watched: {
    summary: 'A user the model has never seen, from recently watched videos (fold-in)',
    value: { watched: ['v001', { video_id: 'v002', weight: 3 }], k: 3 },
  },
  similar: { summary: 'Videos similar to a video', value: { video_id: 'v001', k: 3 } },
  filtered: {
    summary: 'Filters, exclusions and metadata',
    value: { user_id: 'u001', k: 3, exclude: ['v001'], filter: { language: 'en' }, include_metadata: true },
  },
  explain: {
    summary: 'Recommendations with explanations: the watched videos behind each score',
    value: { user_id: 'u001', k: 3, explain: true },
  },
  similarUsers: {
    summary: 'Users similar to a user (cosine of user factors)',
    value: { user_id: 'u001', k: 3, similar_users: true },
  },
  batch: {
    summary: 'A batch: one answer (or error) per request',
    value: {
      requests: [
        { user_id: 'u001', k: 2 },
        { video_id: 'v001', k: 2 },
      ],
    },
  },
};

const recommendBody = {
  jsonLines: true,
  schema: (s: Schemas) => s.recommendRequest.or(s.batchRequest),
  examples: BODY_EXAMPLES,
};

const RECOMMEND_ERRORS = {
  400: 'Invalid JSON or a field breaking its rule (named in issues)',
  404: 'Unknown user or video',
  406: 'Accept names no format this route produces',
  413: 'Body larger than MAX_BODY_BYTES',
  415: 'Content-Type other than application/json or application/jsonlines',
  503: 'No model loaded yet (the message says why)',
} as const;

async function invocations(ctx: RouteContext, input: RouteInput): Promise<RouteAnswer> {
  const rec = ctx.model();
  if (input.format === 'jsonlines')
    return { kind: 'many', items: await answerJsonLines(rec, String(input.body), ctx.env) };
  const result = await invoke(rec, input.body, ctx.env);
  return 'responses' in result ? { kind: 'many', items: result.responses } : { kind: 'one', value: result };
}

/** The routes, in the order of the OpenAPI description. */
export const ROUTES: readonly Route[] = [
  {
    id: 'invocations',
    method: 'POST',
    path: '/invocations',
    summary: 'Recommend: one request, a batch, or JSON Lines (SageMaker)',
    description:
      'Content-Type application/json (one request or {"requests":[...]}) or application/jsonlines (SageMaker Batch ' +
      'Transform: one request per line, one answer per line). Accept selects the answer format.',
    tag: 'Recommendations',
    auth: 'api-key',
    body: recommendBody,
    ok: (s) => z.union([s.recommendResponse, s.similarUsersResponse, s.batchResponse]),
    errors: RECOMMEND_ERRORS,
    targets: BOTH,
    handle: invocations,
  },
  {
    id: 'recommendations',
    method: 'POST',
    path: '/recommendations',
    summary: 'Recommend (REST name of /invocations: same body, same answer)',
    description: 'The same as POST /invocations, under a REST-style name.',
    tag: 'Recommendations',
    auth: 'api-key',
    body: recommendBody,
    ok: (s) => z.union([s.recommendResponse, s.similarUsersResponse, s.batchResponse]),
    errors: RECOMMEND_ERRORS,
    targets: BOTH,
    handle: invocations,
  },
  {
    id: 'userRecommendations',
    method: 'GET',
    path: '/users/{userId}/recommendations',
    summary: 'Recommendations for a known user',
    description: 'Query parameters mirror the body fields; lists are comma-separated.',
    tag: 'Recommendations',
    auth: 'api-key',
    params: (s) => s.userPath,
    query: (s) => s.userQuery,
    ok: (s) => s.recommendResponse,
    errors: { 400: 'Invalid path or query', 404: 'Unknown user', 503: RECOMMEND_ERRORS[503] },
    targets: BOTH,
    handle: (ctx, input) => one(userRecommendations(ctx.model(), input.params.userId, input.query, ctx.env)),
  },
  {
    id: 'similarVideos',
    method: 'GET',
    path: '/videos/{videoId}/similar',
    summary: 'Videos similar to a video (cosine similarity of item factors)',
    description:
      'Query parameters mirror the body fields; lists are comma-separated. A video that is in the video ' +
      'metadata but has no interactions yet is answered by metadata (shared tags and language, Jaccard ' +
      'similarity) with "source":"metadata".',
    tag: 'Recommendations',
    auth: 'api-key',
    params: (s) => s.videoPath,
    query: (s) => s.similarQuery,
    ok: (s) => s.recommendResponse,
    errors: { 400: 'Invalid path or query', 404: 'Unknown video', 503: RECOMMEND_ERRORS[503] },
    targets: BOTH,
    handle: (ctx, input) => one(similarVideos(ctx.model(), input.params.videoId, input.query, ctx.env)),
  },
  {
    id: 'similarUsers',
    method: 'GET',
    path: '/users/{userId}/similar',
    summary: 'Users similar to a user (cosine similarity of user factors)',
    description:
      'The k users whose factors point the most the same way, best first, the user left out. Large models ' +
      'carry an index over user factors (built from 50,000 users), so a request reads a few lists of users.',
    tag: 'Recommendations',
    auth: 'api-key',
    params: (s) => s.userPath,
    query: (s) => s.similarUsersQuery,
    ok: (s) => s.similarUsersResponse,
    errors: { 400: 'Invalid path or query', 404: 'Unknown user', 503: RECOMMEND_ERRORS[503] },
    targets: BOTH,
    handle: (ctx, input) => one(similarUsersOf(ctx.model(), input.params.userId, input.query, ctx.env)),
  },
  {
    id: 'ping',
    method: 'GET',
    path: '/ping',
    summary: 'Health: 200 with the model version once a model is loaded, 503 saying why before',
    description: 'SageMaker calls it to decide when the container is ready.',
    tag: 'Operations',
    auth: 'open',
    ok: (s) => s.pingResponse,
    errors: { 503: 'No model loaded yet: loading, load failed and retrying, or no model published' },
    targets: BOTH,
    handle: (ctx) => one(pingAnswer(ctx)),
  },
  {
    id: 'executionParameters',
    method: 'GET',
    path: '/execution-parameters',
    summary: 'Batch Transform settings: MULTI_RECORD JSON Lines, 1 MB mini-batches, one request per thread',
    description:
      'SageMaker asks this before a Batch Transform job that leaves BatchStrategy, MaxPayloadInMB and ' +
      'MaxConcurrentTransforms to the container. Container only: Batch Transform runs containers, never Lambda.',
    tag: 'Operations',
    auth: 'open',
    ok: () => executionParametersSchema,
    errors: {},
    targets: ['container'],
    handle: (ctx) => {
      if (!ctx.execution) throw new TransportError('NOT_FOUND', 'No execution parameters on this target');
      return one(ctx.execution);
    },
  },
];

function pingAnswer(ctx: RouteContext): PingResponse {
  return { status: 'ok', modelVersion: ctx.model().version };
}

/** The route with this id. */
export function routeById(id: Route['id']): Route {
  const route = ROUTES.find((r) => r.id === id);
  if (!route) throw new RangeError(`no route ${id}`);
  return route;
}

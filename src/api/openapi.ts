/**
 * The OpenAPI 3.1 description of the API, made from the route table (src/api/routes.ts) and its zod
 * schemas by zod-openapi: paths, parameters, bodies with a working example per request kind, and
 * every error a route answers, with the limits in force.
 * @module
 */
import {
  createDocument,
  type ZodOpenApiOperationObject,
  type ZodOpenApiPathsObject,
  type ZodOpenApiResponseObject,
} from 'zod-openapi';
import { DEFAULT_LIMITS, type Limits } from '../core/limits.js';
import { ROUTES, type Route, type Target } from './routes.js';
import { type Schemas, schemasFor } from './schemas.js';

/** What the description is for. */
export interface OpenApiOptions {
  limits?: Limits;
  /** `lambda` adds the API-key security scheme of API Gateway */
  target?: Target;
  /** `servers` entries, e.g. the container's own URL */
  servers?: readonly string[];
}

const JSON_TYPE = 'application/json';
const JSON_LINES_TYPE = 'application/jsonlines';

function operation(route: Route, s: Schemas, target: Target): ZodOpenApiOperationObject {
  const error = (description: string): ZodOpenApiResponseObject => ({
    description,
    content: { [JSON_TYPE]: { schema: s.errorBody } },
  });
  const responses: Record<string, ZodOpenApiResponseObject> = {
    200: { description: 'OK', content: { [JSON_TYPE]: { schema: route.ok(s) } } },
  };
  for (const [status, description] of Object.entries(route.errors)) responses[status] = error(description);
  responses[500] = error('Unexpected failure; the body carries no internals, the log has the request id');
  if (target === 'lambda' && route.auth === 'api-key') responses[403] = error('Missing or wrong x-api-key');
  const op: ZodOpenApiOperationObject = {
    operationId: route.id,
    summary: route.summary,
    description: route.description,
    tags: [route.tag],
    responses,
  };
  if (route.params || route.query) {
    op.requestParams = {
      ...(route.params ? { path: route.params(s) } : {}),
      ...(route.query ? { query: route.query(s) } : {}),
    };
  }
  if (route.body) {
    const examples = route.body.examples;
    op.requestBody = {
      required: true,
      content: {
        [JSON_TYPE]: { schema: route.body.schema(s), examples },
        ...(route.body.jsonLines
          ? {
              [JSON_LINES_TYPE]: {
                schema: { type: 'string', description: 'one JSON request per line' },
                example: `${JSON.stringify(examples.user?.value)}\n${JSON.stringify(examples.similar?.value)}\n`,
              },
            }
          : {}),
      },
    };
  }
  if (target === 'lambda' && route.auth === 'api-key') op.security = [{ apiKey: [] }];
  return op;
}

/**
 * The OpenAPI document of one target's routes.
 * @example
 * const doc = openApiDocument({ limits: { maxK: 100, maxBatch: 1000 } });
 * doc.paths['/invocations'].post.requestBody; // with examples for every request kind
 */
export function openApiDocument(options: OpenApiOptions = {}): ReturnType<typeof createDocument> {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const target = options.target ?? 'container';
  const s = schemasFor(limits);
  const paths: ZodOpenApiPathsObject = {};
  for (const route of ROUTES.filter((r) => r.targets.includes(target))) {
    paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operation(route, s, target) };
  }
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Video recommender',
      version: '2',
      description:
        `Implicit-feedback ALS video recommendations. k is 1..${limits.maxK} (default 5); a batch holds at most ` +
        `${limits.maxBatch} requests. Errors are {"error":{"code","message"[,"issues"]}}.`,
    },
    ...(options.servers ? { servers: options.servers.map((url) => ({ url })) } : {}),
    ...(target === 'lambda'
      ? { components: { securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' } } } }
      : {}),
    paths,
  });
}

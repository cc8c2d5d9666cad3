/**
 * OpenAPI 3.1 docs for the container app, built from the zod schemas in src/schemas.ts (via
 * `z.toJSONSchema`) and served at `/docs` by @fastify/swagger-ui from installed files, no CDN.
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifySchema } from 'fastify';
import { jsonSchemas, type Limits } from '../src/api/schemas.js';

/** Where the swagger-ui files are; the production bundle ships them next to itself. */
export interface DocsOptions {
  staticDir?: string;
}

type Schema = Record<string, unknown>;

/** The swagger-ui static files: `./swagger-ui/` beside the bundle, else the installed package's. */
export function swaggerUiStaticDir(): string {
  const bundled = fileURLToPath(new URL('./swagger-ui/', import.meta.url));
  if (existsSync(join(bundled, 'swagger-ui-bundle.js'))) return bundled;
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@fastify/swagger-ui/package.json')), 'static');
}

/** JSON Schema 2020-12 is OpenAPI 3.1's dialect; only the `$schema` marker is dropped. */
function clean(schema: Schema | undefined): Schema {
  if (!schema) return {};
  const { $schema: _ignored, ...rest } = schema;
  return rest;
}

/** Route schemas used only for documentation (validation and serialisation stay with zod and JSON). */
export function routeDocs(
  limits: Limits,
): Record<'ping' | 'invocations' | 'userRecommendations' | 'similarVideos', FastifySchema & Schema> {
  const s = jsonSchemas(limits);
  const error = (description: string): Schema => ({ description, ...clean(s.ErrorBody) });
  const attributes = {
    type: 'object',
    properties: {
      'x-amzn-sagemaker-custom-attributes': { type: 'string', description: 'echoed back unchanged' },
      accept: { type: 'string', description: 'application/json or application/jsonlines' },
    },
  };
  return {
    ping: {
      summary: 'Health check: 200 once a model is loaded, 503 before',
      tags: ['SageMaker'],
      response: { 200: clean(s.PingResponse), 503: error('No model loaded yet') },
    },
    invocations: {
      summary: 'Recommend: one request, a batch {"requests":[...]}, or JSON Lines (one request per line)',
      description:
        'Content-Type application/json (one request or a batch) or application/jsonlines (SageMaker Batch ' +
        'Transform, one answer per line). Accept selects the answer format. Bodies above MAX_BODY_BYTES ' +
        '(default and maximum 6 MB) get 413.',
      tags: ['SageMaker'],
      consumes: ['application/json', 'application/jsonlines'],
      produces: ['application/json', 'application/jsonlines'],
      headers: attributes,
      body: { oneOf: [clean(s.RecommendRequest), clean(s.BatchRequest)] },
      response: {
        200: { description: 'Recommendations', oneOf: [clean(s.RecommendResponse), clean(s.BatchResponse)] },
        400: error('Invalid JSON or a field breaking its rule (named in issues)'),
        404: error('Unknown user or video'),
        406: error('Accept names no format this endpoint produces'),
        413: error('Body too large'),
        415: error('Unsupported Content-Type'),
        503: error('No model loaded yet'),
      },
    },
    userRecommendations: {
      summary: 'Recommendations for a known user',
      tags: ['REST'],
      params: clean(s.UserPath),
      querystring: clean(s.UserQuery),
      response: { 200: clean(s.RecommendResponse), 400: error('Invalid query'), 404: error('Unknown user') },
    },
    similarVideos: {
      summary: 'Videos similar to a video',
      tags: ['REST'],
      params: clean(s.VideoPath),
      querystring: clean(s.SimilarQuery),
      response: { 200: clean(s.RecommendResponse), 400: error('Invalid query'), 404: error('Unknown video') },
    },
  };
}

/** Registers the OpenAPI document (`/docs/json`) and the UI (`/docs`). */
export async function registerDocs(
  app: FastifyInstance,
  limits: Limits,
  options: DocsOptions = {},
): Promise<void> {
  const staticDir = options.staticDir ?? swaggerUiStaticDir();
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Video recommender (SageMaker container)',
        version: '1',
        description: `Implicit-feedback ALS recommendations. k is 1..${limits.maxK}; a batch holds at most ${limits.maxBatch} requests.`,
      },
    },
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    baseDir: staticDir,
    logo: { type: 'image/svg+xml', content: readFileSync(join(staticDir, 'logo.svg')) },
  });
}

import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../src/api/openapi.js';
import { ROUTES } from '../../src/api/routes.js';

type Doc = {
  openapi: string;
  paths: Record<
    string,
    Record<
      string,
      {
        operationId: string;
        responses: Record<string, unknown>;
        requestBody?: { content: Record<string, { examples?: Record<string, { value: unknown }> }> };
        security?: unknown;
        parameters?: { name: string; in: string }[];
      }
    >
  >;
  components?: { securitySchemes?: Record<string, unknown> };
  info: { description: string };
};

describe('Function: openApiDocument', () => {
  it('describes every route of the table with its operation id and error statuses', () => {
    const doc = openApiDocument() as unknown as Doc;
    expect(doc.openapi).toBe('3.1.0');
    for (const route of ROUTES) {
      const op = doc.paths[route.path]?.[route.method.toLowerCase()];
      expect(op?.operationId).toBe(route.id);
      expect(Object.keys(op?.responses ?? {}).sort()).toEqual(
        ['200', '500', ...Object.keys(route.errors)].sort(),
      );
    }
  });

  it('offers a working example of each request kind for "Try it out", in JSON and JSON Lines', () => {
    const doc = openApiDocument() as unknown as Doc;
    const content = doc.paths['/invocations']?.post?.requestBody?.content ?? {};
    expect(Object.keys(content).sort()).toEqual(['application/json', 'application/jsonlines']);
    const values = Object.values(content['application/json']?.examples ?? {}).map((e) => e.value);
    expect(values).toContainEqual({ user_id: 'u001', k: 3 });
    expect(values).toContainEqual({ video_id: 'v001', k: 3 });
    // No example mixes request kinds (Swagger's schema-built default did: user_id + video_id + watched).
    for (const value of values as Record<string, unknown>[]) {
      if ('requests' in value) continue;
      const kinds = ['user_id', 'video_id', 'watched'].filter(
        (key) => key in value && !(key === 'user_id' && 'watched' in value),
      );
      expect(kinds.length).toBe(1);
    }
  });

  it('states the limits in force and, for Lambda, the API key', () => {
    const container = openApiDocument({ limits: { maxK: 42, maxBatch: 7 } }) as unknown as Doc;
    const lambda = openApiDocument({ target: 'lambda' }) as unknown as Doc;
    expect(container.info.description).toContain('k is 1..42');
    expect(container.info.description).toContain('at most 7 requests');
    expect(container.paths['/invocations']?.post?.security).toBeUndefined();
    expect(lambda.components?.securitySchemes).toEqual({
      apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
    });
    expect(lambda.paths['/invocations']?.post?.security).toEqual([{ apiKey: [] }]);
    expect(lambda.paths['/ping']?.get?.security).toBeUndefined();
    expect(Object.keys(lambda.paths['/invocations']?.post?.responses ?? {})).toContain('403');
  });

  it('documents path and query parameters of the REST routes', () => {
    const doc = openApiDocument() as unknown as Doc;
    const params = doc.paths['/users/{userId}/recommendations']?.get?.parameters ?? [];
    expect(params.filter((p) => p.in === 'path').map((p) => p.name)).toEqual(['userId']);
    expect(params.filter((p) => p.in === 'query').map((p) => p.name)).toEqual(
      expect.arrayContaining(['k', 'exclude', 'allow', 'fallback', 'keep_watched', 'language', 'tags']),
    );
  });

  it('describes explanations, similar users and metadata answers, with examples', () => {
    // Act
    const doc = openApiDocument() as unknown as Doc;
    const text = JSON.stringify(doc);

    // Assess
    const examples =
      doc.paths['/invocations']?.post?.requestBody?.content['application/json']?.examples ?? {};
    expect(examples.explain?.value).toEqual({ user_id: 'u001', k: 3, explain: true });
    expect(examples.similarUsers?.value).toEqual({ user_id: 'u001', k: 3, similar_users: true });
    expect(doc.paths['/users/{userId}/similar']?.get?.operationId).toBe('similarUsers');
    const query = doc.paths['/users/{userId}/recommendations']?.get?.parameters ?? [];
    expect(query.map((p) => p.name)).toContain('explain');
    expect(text).toContain('"because"');
    expect(text).toContain('"similarUsers"');
    expect(text).toContain('"metadata"');
  });
});

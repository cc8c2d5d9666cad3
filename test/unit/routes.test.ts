import { describe, expect, it } from 'vitest';
import { ROUTES, routeById } from '../../src/api/routes.js';
import { parseOrThrow, schemasFor } from '../../src/api/schemas.js';

const schemas = schemasFor();

describe('Table: ROUTES', () => {
  it('declares each route once: unique ids and unique method + path', () => {
    const ids = ROUTES.map((r) => r.id);
    const keys = ROUTES.map((r) => `${r.method} ${r.path}`);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(keys).size).toBe(keys.length);
    expect(routeById('ping').path).toBe('/ping');
    expect(() => routeById('nope' as never)).toThrow(RangeError);
  });

  it('serves every route on both targets but /execution-parameters (Batch Transform runs containers only)', () => {
    expect(
      ROUTES.filter((r) => !(r.targets.includes('lambda') && r.targets.includes('container'))).map((r) => [
        r.id,
        r.targets,
      ]),
    ).toEqual([['executionParameters', ['container']]]);
  });

  it('gives every body route examples that its own schema accepts, one per request kind', () => {
    for (const route of ROUTES.filter((r) => r.body)) {
      const examples = Object.values(route.body?.examples ?? {});
      expect(examples.length).toBeGreaterThanOrEqual(5);
      for (const example of examples)
        expect(() => parseOrThrow(route.body!.schema(schemas), example.value)).not.toThrow();
    }
  });

  it('names path parameters in both the template and the params schema', () => {
    for (const route of ROUTES) {
      const inPath = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const inSchema = route.params ? Object.keys(route.params(schemas).shape) : [];
      expect(inSchema).toEqual(inPath);
    }
  });

  it('keeps /ping open and the recommendation routes behind the API key', () => {
    expect(Object.fromEntries(ROUTES.map((r) => [r.id, r.auth]))).toEqual({
      ping: 'open',
      invocations: 'api-key',
      recommendations: 'api-key',
      userRecommendations: 'api-key',
      similarVideos: 'api-key',
      executionParameters: 'open',
      similarUsers: 'api-key',
    });
  });
});

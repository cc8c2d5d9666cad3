import { readFileSync } from 'node:fs';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { ROUTES as TABLE } from '../../src/api/index.js';
import { loadEvent, ROUTES } from '../events/api-gateway.js';

interface HttpEvent {
  path: string;
  method: string;
  cors?: boolean;
  private?: boolean;
}
interface ServerlessFunction {
  handler: string;
  events?: { http?: HttpEvent }[];
}

const service = parse(readFileSync(new URL('../../serverless.yml', import.meta.url), 'utf8')) as {
  functions: Record<string, ServerlessFunction>;
};
const lambdaRoutes = TABLE.filter((route) => route.targets.includes('lambda'));

/** What serverless.yml should say for a route of the table. */
const expectedFunction = (route: (typeof TABLE)[number]) => ({
  handler: `handlers/api.${route.id}`,
  events: [
    {
      http: {
        // API Gateway paths have no leading slash; templates keep their {name} segments.
        path: route.path.slice(1),
        method: route.method.toLowerCase(),
        cors: true,
        private: route.auth === 'api-key',
      },
    },
  ],
});

describe('File: serverless.yml (against the route table)', () => {
  it('declares exactly one function per Lambda route, named for its id, and no other function', () => {
    // Act
    const names = Object.keys(service.functions).sort();
    // Assess
    expect(names).toEqual(lambdaRoutes.map((r) => r.id).sort());
  });

  for (const route of lambdaRoutes) {
    it(`routes ${route.method} ${route.path} to handlers/api.${route.id}, API key ${route.auth === 'api-key' ? 'required' : 'not required'}`, () => {
      // Act
      const fn = service.functions[route.id];
      // Assess
      expect({ handler: fn?.handler, events: fn?.events }).toEqual(expectedFunction(route));
    });
  }

  it('names one function per handler: no route shares or lacks its handler', () => {
    // Act
    const handlers = Object.values(service.functions).map((fn) => fn.handler);
    // Assess
    expect(new Set(handlers).size).toBe(handlers.length);
  });
});

describe('Module: handlers/api (against serverless.yml)', () => {
  it('exports a handler for every function serverless.yml names, and nothing else', async () => {
    // Prepare: init without a model (it logs that MODEL_URI is unset, silenced here)
    vi.stubEnv('MODEL_URI', '');
    vi.stubEnv('LOG_LEVEL', 'silent');
    const api = (await import('../../handlers/api.js')) as Record<string, unknown>;
    vi.unstubAllEnvs();
    // Act
    const named = Object.values(service.functions).map((fn) => fn.handler.replace(/^handlers\/api\./, ''));
    // Assess
    expect(Object.keys(api).sort()).toEqual([...named].sort());
    for (const name of named) expect(typeof api[name]).toBe('function');
  });
});

describe('Fixtures: test/events/apigw-rest (against the route table)', () => {
  it('holds one REST event per Lambda route, with its method, resource and path parameters', () => {
    // Act
    const fixtures = ROUTES.map((route) => {
      const event: APIGatewayProxyEvent = loadEvent(route.fixture);
      return {
        id: route.id,
        method: event.httpMethod,
        resource: event.resource,
        resourcePath: event.requestContext.resourcePath,
        params: Object.keys(event.pathParameters ?? {}),
      };
    });
    // Assess
    expect(fixtures).toEqual(
      lambdaRoutes.map((route) => ({
        id: route.id,
        method: route.method,
        resource: route.path,
        resourcePath: route.path,
        params: [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]),
      })),
    );
  });
});

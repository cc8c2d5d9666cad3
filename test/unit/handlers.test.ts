import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { gramMatrix } from '../../src/als/fold-in.js';
import { UnknownUserError, UnknownVideoError } from '../../src/core/errors.js';
import { publishModel } from '../../src/store/publish.js';
import { loadEvent } from '../events/api-gateway.js';
import { FIXTURE_VERSION, fixtureArtifact } from '../helpers/api-cases.js';

// A pass-through spy: counts when the recommender computes fold-in's YᵀY.
vi.mock('../../src/als/fold-in.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/als/fold-in.js')>();
  return { ...actual, gramMatrix: vi.fn(actual.gramMatrix) };
});

// The unwrapped routes, imported (first in this file's module graph, so init runs then) after MODEL_URI
// points at a local copy of the shared fixture model.
let routes: {
  ping: typeof import('../../handlers/ping.js');
  invocations: typeof import('../../handlers/invocations.js');
  recommendations: typeof import('../../handlers/recommendations.js');
  users: typeof import('../../handlers/user-recommendations.js');
  similar: typeof import('../../handlers/similar-videos.js');
};
let dir: string;
// YᵀY computations before the handlers' init (the shared table builds its own recommender on import).
let beforeInit: number;

const ok = (body: unknown) => ({
  statusCode: 200,
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify(body),
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'handlers-unit-'));
  await publishModel(dir, fixtureArtifact());
  vi.stubEnv('MODEL_URI', dir);
  vi.stubEnv('LOG_LEVEL', 'silent');
  beforeInit = vi.mocked(gramMatrix).mock.calls.length;
  routes = {
    ping: await import('../../handlers/ping.js'),
    invocations: await import('../../handlers/invocations.js'),
    recommendations: await import('../../handlers/recommendations.js'),
    users: await import('../../handlers/user-recommendations.js'),
    similar: await import('../../handlers/similar-videos.js'),
  };
});

afterAll(() => {
  vi.unstubAllEnvs();
  rmSync(dir, { recursive: true, force: true });
});

describe('Function: recommender (handlers/model.ts)', () => {
  it('leaves YᵀY out of init and computes it once, on the first fold-in', async () => {
    // Prepare
    const atInit = vi.mocked(gramMatrix).mock.calls.length - beforeInit;
    const foldIn = { ...loadEvent('recommendations'), body: { watched: ['v001'], k: 1 } };
    // Act
    const first = await routes.recommendations.recommendationsRoute(foldIn);
    const second = await routes.recommendations.recommendationsRoute(foldIn);
    // Assess
    expect({
      atInit,
      afterFoldIns: vi.mocked(gramMatrix).mock.calls.length - beforeInit,
      statuses: [first.statusCode, second.statusCode],
      source: JSON.parse(first.body).source,
    }).toEqual({ atInit: 0, afterFoldIns: 1, statuses: [200, 200], source: 'fold-in' });
  });
});

describe('Function: pingRoute', () => {
  it('reports the model loaded at init', async () => {
    // Act
    const result = await routes.ping.pingRoute(loadEvent('ping'));
    // Assess
    expect(result).toEqual(ok({ status: 'ok', modelVersion: FIXTURE_VERSION }));
  });
});

describe('Function: invocationsRoute', () => {
  it('answers the original request body (already parsed by the middleware)', async () => {
    // Prepare
    const event = { ...loadEvent('invocations'), body: { user_id: 'u001', k: 2 } };
    // Act
    const result = await routes.invocations.invocationsRoute(event);
    // Assess
    expect(result).toEqual(
      ok({
        userId: 'u001',
        recommendations: [
          { videoId: 'v004', score: 1.25 },
          { videoId: 'v003', score: 0.75 },
        ],
      }),
    );
  });
});

describe('Function: recommendationsRoute', () => {
  it('answers a batch of a fold-in request and a known user', async () => {
    // Prepare
    const body = {
      requests: [
        { watched: ['v001'], k: 1 },
        { user_id: 'u002', k: 1 },
      ],
    };
    // Act
    const result = await routes.recommendations.recommendationsRoute({
      ...loadEvent('recommendations'),
      body,
    });
    // Assess
    const parsed = JSON.parse(result.body) as {
      responses: { recommendations: unknown[]; source?: string }[];
    };
    expect({
      status: result.statusCode,
      items: parsed.responses.length,
      source: parsed.responses[0]?.source,
    }).toEqual({
      status: 200,
      items: 2,
      source: 'fold-in',
    });
    expect(parsed.responses[1]).toEqual({
      userId: 'u002',
      recommendations: [{ videoId: 'v003', score: 0.5 }],
    });
  });
});

describe('Function: userRecommendationsRoute', () => {
  it('reads userId from the path and k from the query string', async () => {
    // Act
    const result = await routes.users.userRecommendationsRoute(loadEvent('user-recommendations'));
    // Assess
    expect(result).toEqual(
      ok({
        userId: 'u001',
        recommendations: [
          { videoId: 'v004', score: 1.25 },
          { videoId: 'v003', score: 0.75 },
          { videoId: 'v005', score: 0.75 },
        ],
      }),
    );
  });

  it('decodes a percent-encoded userId (API Gateway passes it as sent)', async () => {
    // Prepare
    const event = loadEvent('user-recommendations');
    event.pathParameters = { userId: 'u%20404' };
    // Act + Assess
    await expect(routes.users.userRecommendationsRoute(event)).rejects.toEqual(new UnknownUserError('u 404'));
  });

  it('lets the closed-set error through for the middleware to map', async () => {
    // Prepare
    const event = loadEvent('user-recommendations');
    event.pathParameters = { userId: 'u404' };
    // Act + Assess
    await expect(routes.users.userRecommendationsRoute(event)).rejects.toEqual(new UnknownUserError('u404'));
  });
});

describe('Function: similarVideosRoute', () => {
  it('reads videoId from the path, decoded; unknown videos are UnknownVideoError', async () => {
    // Prepare
    const unknown = loadEvent('similar-videos');
    unknown.pathParameters = { videoId: 'v%34%304' };
    // Act
    const result = await routes.similar.similarVideosRoute(loadEvent('similar-videos'));
    // Assess
    expect(JSON.parse(result.body)).toMatchObject({ videoId: 'v001' });
    expect(JSON.parse(result.body).recommendations).toHaveLength(3);
    await expect(routes.similar.similarVideosRoute(unknown)).rejects.toEqual(new UnknownVideoError(['v404']));
  });
});

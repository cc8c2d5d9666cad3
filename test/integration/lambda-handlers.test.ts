import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LambdaHandler } from '../../handlers/http.js';
import { ROUTES as TABLE } from '../../src/api/index.js';
import { DEFAULT_LIMITS } from '../../src/core/limits.js';
import { silentLog } from '../../src/core/log.js';
import { handleRequest, Router } from '../../src/http/index.js';
import { routeContext } from '../../src/serving/index.js';
import { publishModel } from '../../src/store/index.js';
import {
  eventFor,
  type HttpRequest,
  lambdaContext,
  loadEvent,
  ROUTES,
  type RouteId,
} from '../events/api-gateway.js';
import { casesFor } from '../helpers/api-cases.js';
import {
  artifactOf,
  FIXTURE_PARAMS,
  FIXTURE_VERSION,
  fixtureArtifact,
  fixtureModelData,
  fixtureRecommender,
} from '../helpers/fixture-model.js';
import { type Moto, startMoto } from '../helpers/moto.js';

type Handlers = Record<RouteId, LambdaHandler>;

const BUCKET = 'lambda-models';
let moto: Moto;
let s3: S3Client;

/**
 * Fresh handler modules (a new init phase: config read, model loaded) reading the model from `prefix`
 * in the S3 emulator. Handlers read their config at module load, so the environment is set first.
 */
async function coldStart(prefix: string, env: Record<string, string> = {}): Promise<Handlers> {
  vi.resetModules();
  Object.assign(process.env, {
    ...moto.env,
    MODEL_URI: `s3://${BUCKET}/${prefix}`,
    MODEL_REFRESH_SECONDS: '0',
    AWS_S3_FORCE_PATH_STYLE: 'true',
    USER_PRELOAD_MB: '0',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const api = (await import('../../handlers/api.js')) as unknown as Handlers;
  return Object.fromEntries(ROUTES.map((route) => [route.id, api[route.id]])) as Handlers;
}

/** Invokes the function API Gateway would route `request` to, with the event it would send. */
async function call(handlers: Handlers, request: HttpRequest): Promise<APIGatewayProxyResult> {
  const found = eventFor(request);
  if (!found) throw new Error(`no Lambda route for ${request.method} ${request.path}`);
  return handlers[found.route.id](found.event, lambdaContext(`video-recommender-dev-${found.route.id}`));
}

const parsed = (result: APIGatewayProxyResult) => ({
  status: result.statusCode,
  body: JSON.parse(result.body) as unknown,
});

/** The container's pipeline (src/http) over the in-memory fixture, for the same event. */
async function containerAnswer(event: APIGatewayProxyEvent): Promise<{ status: number; body: string }> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {}))
    if (value !== undefined) headers[name.toLowerCase()] = value;
  const response = await handleRequest(
    routeContext(DEFAULT_LIMITS, silentLog, () => fixtureRecommender()),
    new Router(TABLE),
    {
      method: event.httpMethod,
      path: event.path,
      query: event.queryStringParameters,
      headers,
      body: event.body ?? undefined,
    },
  );
  return { status: response.status, body: response.body };
}

const ping = { method: 'GET', path: '/ping', headers: {} } as const;

beforeAll(async () => {
  moto = await startMoto();
  s3 = new S3Client({ endpoint: moto.endpoint, forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await publishModel(`s3://${BUCKET}/fixture`, fixtureArtifact(), {}, { s3 });
});

afterAll(async () => {
  s3.destroy();
  await moto.stop();
});

describe('Function: handlers/api.* (every route, model published to the S3 emulator)', () => {
  let handlers: Handlers;
  beforeAll(async () => {
    handlers = await coldStart('fixture');
  });

  for (const apiCase of casesFor('lambda').filter((c) => c.model === 'fixture')) {
    it(`answers like the container: ${apiCase.name}`, async () => {
      // Act
      const result = await call(handlers, apiCase.request);
      // Assess
      expect(parsed(result)).toEqual(apiCase.expected);
    });
  }

  it('answers POST /recommendations (fold-in for an unseen user) like POST /invocations', async () => {
    // Prepare
    const body = '{"watched":["v001",{"video_id":"v004","weight":2}],"k":3}';
    const headers = { 'content-type': 'application/json' };
    // Act
    const viaRest = parsed(await call(handlers, { method: 'POST', path: '/recommendations', headers, body }));
    const viaInvocations = parsed(
      await call(handlers, { method: 'POST', path: '/invocations', headers, body }),
    );
    // Assess
    expect(viaRest).toEqual(viaInvocations);
    expect(viaRest).toMatchObject({ status: 200, body: { source: 'fold-in' } });
  });

  it('answers every route fixture in test/events as the container does, each with 200', async () => {
    // Act
    const answers = await Promise.all(
      ROUTES.map(async (route) => {
        const result = await handlers[route.id](loadEvent(route.fixture), lambdaContext());
        return [route.id, { status: result.statusCode, body: result.body }];
      }),
    );
    // Assess
    const expected = await Promise.all(
      ROUTES.map(async (route) => [route.id, await containerAnswer(loadEvent(route.fixture))]),
    );
    expect(Object.fromEntries(answers)).toEqual(Object.fromEntries(expected));
    expect(answers.map(([, a]) => (a as { status: number }).status)).toEqual(ROUTES.map(() => 200));
  });

  it('answers JSON Lines with JSON Lines, and a base64-encoded body like a plain one', async () => {
    // Prepare
    const body = '{"user_id":"u001","k":1}\n{"video_id":"v001","k":1}\n{"user_id":"u999"}\n';
    const request = {
      method: 'POST',
      path: '/invocations',
      headers: { 'content-type': 'application/jsonlines' },
      body,
    };
    const plain = eventFor(request)!.event;
    delete plain.headers.Accept;
    const encoded = structuredClone(plain);
    encoded.body = Buffer.from(body).toString('base64');
    encoded.isBase64Encoded = true;
    // Act
    const answers = [
      await handlers.invocations(plain, lambdaContext()),
      await handlers.invocations(encoded, lambdaContext()),
    ];
    // Assess
    const expected = await containerAnswer(structuredClone(plain));
    for (const answer of answers) {
      expect({
        status: answer.statusCode,
        body: answer.body,
        type: answer.headers?.['content-type'],
      }).toEqual({
        ...expected,
        type: 'application/jsonlines',
      });
    }
    expect(expected.body.trim().split('\n')).toHaveLength(3);
  });

  it('adds CORS, security and content-type headers to answers and errors alike', async () => {
    // Act
    const ok = await call(handlers, ping);
    const error = await call(handlers, {
      method: 'POST',
      path: '/invocations',
      headers: { 'content-type': 'text/plain' },
      body: '{}',
    });
    // Assess
    expect([ok.statusCode, error.statusCode]).toEqual([200, 415]);
    for (const result of [ok, error]) {
      expect(result.headers).toMatchObject({
        'content-type': 'application/json',
        'Access-Control-Allow-Origin': '*',
        'Access-Control-Allow-Headers': 'Content-Type,X-Api-Key',
        'Strict-Transport-Security': 'max-age=15552000; includeSubDomains',
        'X-Content-Type-Options': 'nosniff',
        'X-Frame-Options': 'DENY',
        'Referrer-Policy': 'no-referrer',
      });
      expect(Object.keys(result.headers ?? {})).not.toContain('Reporting-Endpoints');
    }
  });

  it('finds the Content-Type header whatever its case', async () => {
    // Act
    const results = await Promise.all(
      ['CONTENT-TYPE', 'Content-Type', 'content-type'].map((name) =>
        call(handlers, {
          method: 'POST',
          path: '/invocations',
          headers: { [name]: 'application/json' },
          body: '{"user_id":"u001","k":1}',
        }),
      ),
    );
    // Assess
    for (const result of results) {
      expect(parsed(result)).toEqual({
        status: 200,
        body: { userId: 'u001', recommendations: [{ videoId: 'v004', score: 1.25 }] },
      });
    }
  });

  it('refuses a body above MAX_BODY_BYTES with 413 before parsing it', async () => {
    // Prepare: the default limit is 6 MiB, SageMaker's
    const body = JSON.stringify({ user_id: 'u001', exclude: ['x'.repeat(6 * 1024 * 1024)] });
    // Act
    const result = await call(handlers, {
      method: 'POST',
      path: '/invocations',
      headers: { 'content-type': 'application/json' },
      body,
    });
    // Assess
    expect(parsed(result)).toEqual({
      status: 413,
      body: { error: { code: 'PAYLOAD_TOO_LARGE', message: 'Request body is larger than 6291456 bytes' } },
    });
  });
});

describe('Function: handlers/api.* (no model published yet)', () => {
  let handlers: Handlers;
  beforeAll(async () => {
    // Only Date is faked: the runtime's backoff reads the clock, sockets and timers stay real.
    vi.useFakeTimers({ toFake: ['Date'] });
    handlers = await coldStart('later');
  });
  afterAll(() => {
    vi.useRealTimers();
  });

  for (const apiCase of casesFor('lambda').filter((c) => c.model === 'none')) {
    it(`answers like the container: ${apiCase.name}`, async () => {
      // Act
      const result = await call(handlers, apiCase.request);
      // Assess
      expect(parsed(result)).toEqual(apiCase.expected);
    });
  }

  it('says why and when it tries again, then loads the model published meanwhile after the backoff', async () => {
    // Prepare
    const before = parsed(await call(handlers, ping));
    await publishModel(`s3://${BUCKET}/later`, fixtureArtifact(), {}, { s3 });
    const stillWaiting = parsed(await call(handlers, ping));
    vi.setSystemTime(Date.now() + 1000);
    // Act
    const after = parsed(await call(handlers, ping));
    // Assess
    const waiting = 'No model loaded: attempt 1 failed (no model is published yet); next attempt in 1 s';
    expect({ before, stillWaiting, after }).toEqual({
      before: { status: 503, body: { error: { code: 'MODEL_NOT_LOADED', message: waiting } } },
      stillWaiting: { status: 503, body: { error: { code: 'MODEL_NOT_LOADED', message: waiting } } },
      after: { status: 200, body: { status: 'ok', modelVersion: FIXTURE_VERSION } },
    });
  });
});

describe('Function: handlers/api.* (MODEL_REFRESH_SECONDS set)', () => {
  beforeAll(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
  });
  afterAll(() => {
    vi.useRealTimers();
  });

  it('answers the request that starts a refresh with the current model and swaps for later ones', async () => {
    // Prepare
    await publishModel(`s3://${BUCKET}/rolling`, fixtureArtifact(), {}, { s3 });
    const handlers = await coldStart('rolling', { MODEL_REFRESH_SECONDS: '60' });
    const version = async () =>
      (parsed(await call(handlers, ping)).body as { modelVersion: string }).modelVersion;
    const first = await version();
    const next = artifactOf(
      { ...fixtureModelData(), popularity: Float32Array.of(9, 3, 4, 1, 2, 0) },
      FIXTURE_PARAMS,
    );
    await publishModel(`s3://${BUCKET}/rolling`, next, {}, { s3 });
    const beforeInterval = await version();
    vi.setSystemTime(Date.now() + 60_000);
    // Act
    const trigger = await version();
    // The check runs after the trigger's answer; later requests see the swap once it is done.
    await vi.waitFor(async () => expect(await version()).toBe(next.manifest.version), { timeout: 10_000 });
    // Assess
    expect({ first, beforeInterval, trigger }).toEqual({
      first: FIXTURE_VERSION,
      beforeInterval: FIXTURE_VERSION,
      trigger: FIXTURE_VERSION,
    });
    expect(next.manifest.version).not.toBe(FIXTURE_VERSION);
  });
});

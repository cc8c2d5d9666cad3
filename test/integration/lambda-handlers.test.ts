import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { encodeModel } from '../../src/artifact/encode.js';
import { publishModel } from '../../src/store/publish.js';
import { eventFor, lambdaContext, loadEvent, ROUTES, type Route } from '../events/api-gateway.js';
import {
  type ApiCase,
  casesFor,
  FIXTURE_PARAMS,
  FIXTURE_VERSION,
  fixtureArtifact,
  fixtureModelData,
} from '../helpers/api-cases.js';
import { type Moto, startMoto } from '../helpers/moto.js';
import { motoClient } from '../helpers/s3-spy.js';

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
type Handlers = Record<Route['module'], Handler>;

const BUCKET = 'lambda-models';
let moto: Moto;
let s3: S3Client;

/**
 * Fresh handler modules (new init phase) reading the model from `prefix` in the S3 emulator
 * (`undefined`: MODEL_URI unset).
 */
async function coldStart(
  prefix: string | undefined,
  refreshSeconds = 0,
  logLevel = 'silent',
): Promise<Handlers> {
  vi.resetModules();
  if (prefix === undefined) delete process.env.MODEL_URI;
  else process.env.MODEL_URI = `s3://${BUCKET}/${prefix}`;
  Object.assign(process.env, {
    MODEL_REFRESH_SECONDS: String(refreshSeconds),
    AWS_S3_FORCE_PATH_STYLE: 'true',
    LOG_LEVEL: logLevel,
  });
  const handlers: Partial<Handlers> = {};
  for (const route of ROUTES) {
    const module = (await import(`../../handlers/${route.module}.ts`)) as { handler: Handler };
    handlers[route.module] = module.handler;
  }
  return handlers as Handlers;
}

async function call(handlers: Handlers, apiCase: Pick<ApiCase, 'request'>): Promise<APIGatewayProxyResult> {
  const { request } = apiCase;
  const found = eventFor(request);
  if (!found) throw new Error(`no Lambda route for ${request.method} ${request.path}`);
  return handlers[found.route.module](found.event, lambdaContext(`video-recommender-dev-${found.route.fn}`));
}

const parsed = (result: APIGatewayProxyResult) => ({
  status: result.statusCode,
  body: JSON.parse(result.body),
});

beforeAll(async () => {
  moto = await startMoto();
  s3 = motoClient();
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await publishModel(`s3://${BUCKET}/fixture`, fixtureArtifact(), {}, { s3 });
});

afterAll(async () => {
  s3.destroy();
  await moto.stop();
});

describe('Function: handler (every route, model published to the S3 emulator)', () => {
  let handlers: Handlers;
  beforeAll(async () => {
    handlers = await coldStart('fixture');
  });

  for (const apiCase of casesFor('lambda').filter((c) => c.model === 'fixture')) {
    it(`answers like the container: ${apiCase.name}`, async () => {
      // Act
      const result = await call(handlers, apiCase);
      // Assess
      expect(parsed(result)).toEqual(apiCase.expected);
    });
  }

  it('answers POST /recommendations (fold-in for an unseen user) like POST /invocations', async () => {
    // Prepare
    const body = '{"watched":["v001",{"video_id":"v004","weight":2}],"k":3}';
    const headers = { 'content-type': 'application/json' };
    // Act
    const viaRest = await call(handlers, {
      request: { method: 'POST', path: '/recommendations', headers, body },
    });
    const viaInvocations = await call(handlers, {
      request: { method: 'POST', path: '/invocations', headers, body },
    });
    // Assess
    expect(parsed(viaRest)).toEqual(parsed(viaInvocations));
    expect(parsed(viaRest)).toMatchObject({ status: 200, body: { source: 'fold-in' } });
    expect(parsed(viaRest).body.recommendations.map((r: { videoId: string }) => r.videoId)).not.toContain(
      'v001',
    );
  });

  it('answers every route fixture in test/events as it stands with 200', async () => {
    // Act
    const statuses = await Promise.all(
      ROUTES.map(async (route) => [
        route.module,
        (await handlers[route.module](loadEvent(route.module), lambdaContext())).statusCode,
      ]),
    );
    // Assess
    expect(Object.fromEntries(statuses)).toEqual({
      ping: 200,
      invocations: 200,
      'user-recommendations': 200,
      'similar-videos': 200,
      recommendations: 200,
    });
  });

  it('adds CORS, security and content-type headers to answers and errors alike', async () => {
    // Act
    const ok = await call(handlers, { request: { method: 'GET', path: '/ping', headers: {} } });
    const error = await call(handlers, {
      request: {
        method: 'POST',
        path: '/invocations',
        headers: { 'content-type': 'text/plain' },
        body: '{}',
      },
    });
    // Assess
    for (const result of [ok, error]) {
      expect(result.headers).toMatchObject({
        'Content-Type': 'application/json',
        'Access-Control-Allow-Origin': '*',
        'Strict-Transport-Security': 'max-age=15552000; includeSubDomains; preload',
        'X-Content-Type-Options': 'nosniff',
      });
    }
  });

  it('finds the Content-Type header whatever its case', async () => {
    // Act
    const result = await call(handlers, {
      request: {
        method: 'POST',
        path: '/invocations',
        headers: { 'CONTENT-TYPE': 'application/json' },
        body: '{"user_id":"u001","k":1}',
      },
    });
    // Assess
    expect(parsed(result)).toEqual({
      status: 200,
      body: { userId: 'u001', recommendations: [{ videoId: 'v004', score: 1.25 }] },
    });
  });

  it('refuses a body above MAX_BODY_BYTES with 413 before parsing it', async () => {
    // Prepare: the default limit is 6 MiB, SageMaker's.
    const body = JSON.stringify({ user_id: 'u001', exclude: ['x'.repeat(6 * 1024 * 1024)] });
    // Act
    const result = await call(handlers, {
      request: {
        method: 'POST',
        path: '/invocations',
        headers: { 'content-type': 'application/json' },
        body,
      },
    });
    // Assess
    expect(parsed(result)).toEqual({
      status: 413,
      body: { error: { code: 'PAYLOAD_TOO_LARGE', message: 'Request body is larger than 6291456 bytes' } },
    });
  });

  it('serves /recommendations with the /invocations function itself', async () => {
    // Act
    const recommendations = await import('../../handlers/recommendations.js');
    const invocations = await import('../../handlers/invocations.js');
    // Assess
    expect(recommendations.handler).toBe(invocations.handler);
  });
});

describe('Function: handler (no model published yet)', () => {
  let handlers: Handlers;
  beforeAll(async () => {
    handlers = await coldStart('later');
  });

  for (const apiCase of casesFor('lambda').filter((c) => c.model === 'none')) {
    it(`answers like the container: ${apiCase.name}`, async () => {
      // Act
      const result = await call(handlers, apiCase);
      // Assess
      expect(parsed(result)).toEqual(apiCase.expected);
    });
  }

  it('loads the model on the next invocation once it is published, without a new cold start', async () => {
    // Prepare
    const before = parsed(await call(handlers, { request: { method: 'GET', path: '/ping', headers: {} } }));
    await publishModel(`s3://${BUCKET}/later`, fixtureArtifact(), {}, { s3 });
    // Act
    const after = parsed(await call(handlers, { request: { method: 'GET', path: '/ping', headers: {} } }));
    // Assess
    expect({ before: before.status, after }).toEqual({
      before: 503,
      after: { status: 200, body: { status: 'ok', modelVersion: FIXTURE_VERSION } },
    });
  });
});

describe('Function: handler (MODEL_URI unset)', () => {
  it('answers 503 and logs that MODEL_URI is missing, not a missing /opt/ml/model', async () => {
    // Prepare
    const errors: string[] = [];
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      errors.push(String(chunk));
      return true;
    });
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const handlers = await coldStart(undefined, 0, 'error');
      // Act
      const result = await call(handlers, { request: { method: 'GET', path: '/ping', headers: {} } });
      // Assess
      expect(parsed(result)).toEqual({
        status: 503,
        body: { error: { code: 'MODEL_NOT_LOADED', message: 'No model is loaded yet' } },
      });
      const records = errors
        .join('')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      // Once at init, once for the request (whose 503 also logs as `request failed`).
      const loads = records.filter((r) => r.message === 'model_load_failed');
      expect(loads.map((r) => [r.level, r.message, r.error])).toEqual(
        Array(2).fill([
          'ERROR',
          'model_load_failed',
          'MODEL_URI is not set: set it to s3://bucket/prefix (serverless.yml param modelUri) or a model directory',
        ]),
      );
    } finally {
      stderr.mockRestore();
      stdout.mockRestore();
    }
  });
});

describe('Function: handler (MODEL_REFRESH_SECONDS set)', () => {
  it('answers the request that starts a refresh with the current model and swaps for later ones', async () => {
    // Prepare
    await publishModel(`s3://${BUCKET}/rolling`, fixtureArtifact(), {}, { s3 });
    const handlers = await coldStart('rolling', 1);
    // The same module instance the handlers share (same module registry since coldStart's reset).
    const model = await import('../../handlers/model.js');
    const ping = async () =>
      parsed(await call(handlers, { request: { method: 'GET', path: '/ping', headers: {} } }));
    const before = await ping();
    const next = encodeModel(fixtureModelData(), {
      params: FIXTURE_PARAMS,
      datasetDigest: 'next',
      createdAt: new Date('2025-02-01T00:00:00.000Z'),
    });
    await publishModel(`s3://${BUCKET}/rolling`, next, {}, { s3 });
    const soon = await ping();
    const noRefreshYet = model.pendingRefresh();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    // Act
    const trigger = await ping();
    const started = model.pendingRefresh();
    const swapped = await started;
    const later = await ping();
    // Assess
    expect({
      versions: [before, soon, trigger, later].map((r) => r.body.modelVersion),
      noRefreshYet,
      started: started instanceof Promise,
      swapped,
    }).toEqual({
      versions: [FIXTURE_VERSION, FIXTURE_VERSION, FIXTURE_VERSION, next.manifest.version],
      noRefreshYet: undefined,
      started: true,
      swapped: true,
    });
  });
});

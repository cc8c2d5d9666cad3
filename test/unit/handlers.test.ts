import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LambdaHandler } from '../../handlers/http.js';
import { ROUTES as TABLE } from '../../src/api/index.js';
import type { ModelNotLoadedError } from '../../src/core/errors.js';
import { DEFAULT_LIMITS } from '../../src/core/limits.js';
import { silentLog } from '../../src/core/log.js';
import { handleRequest, Router } from '../../src/http/index.js';
import { routeContext } from '../../src/serving/index.js';
import { publishModel } from '../../src/store/index.js';
import { lambdaContext, loadEvent, ROUTES } from '../events/api-gateway.js';
import { FIXTURE_VERSION, fixtureArtifact, fixtureRecommender } from '../helpers/fixture-model.js';

type Api = typeof import('../../handlers/api.js');
type LogLine = Record<string, unknown> & { level: string; message: string };

let dir: string;

/** Captures what the Powertools logger writes (info to stdout, warnings and errors to stderr). */
function captureLogs(): () => LogLine[] {
  const lines: string[] = [];
  const keep = (chunk: unknown): boolean => {
    lines.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(keep);
  vi.spyOn(process.stderr, 'write').mockImplementation(keep);
  return () =>
    lines
      .join('')
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogLine);
}

/** The handler modules after a fresh init (new module registry) with `env` on top of the defaults. */
async function coldStart(env: Record<string, string | undefined>): Promise<Api> {
  vi.resetModules();
  vi.unstubAllEnvs();
  for (const [name, value] of Object.entries({ LOG_LEVEL: 'info', USER_PRELOAD_MB: '0', ...env }))
    vi.stubEnv(name, value);
  return import('../../handlers/api.js');
}

/** The container's pipeline over the in-memory fixture, for the request an event carries. */
async function containerAnswer(event: APIGatewayProxyEvent): Promise<{ status: number; body: unknown }> {
  const ctx = routeContext(DEFAULT_LIMITS, silentLog, () => fixtureRecommender());
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {}))
    if (value !== undefined) headers[name.toLowerCase()] = value;
  const response = await handleRequest(ctx, new Router(TABLE), {
    method: event.httpMethod,
    path: event.path,
    query: event.queryStringParameters,
    headers,
    body: event.body ?? undefined,
  });
  return { status: response.status, body: JSON.parse(response.body) };
}

const parsed = (result: APIGatewayProxyResult) => ({
  status: result.statusCode,
  body: JSON.parse(result.body) as unknown,
});

const handlerOf = (api: Api, id: string): LambdaHandler =>
  (api as unknown as Record<string, LambdaHandler>)[id]!;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'handlers-unit-'));
  await publishModel(dir, fixtureArtifact());
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('Module: handlers/api', () => {
  it('exports one handler per Lambda route of the table, and nothing else', async () => {
    // Prepare
    captureLogs();
    // Act
    const api = await coldStart({ MODEL_URI: dir });
    // Assess
    expect(Object.keys(api).sort()).toEqual(ROUTES.map((r) => r.id).sort());
    for (const route of ROUTES) expect(typeof handlerOf(api, route.id)).toBe('function');
  });

  it("answers each route's fixture event with the container's status and body (model from a directory)", async () => {
    // Prepare
    captureLogs();
    const api = await coldStart({ MODEL_URI: dir });
    // Act
    const answers = await Promise.all(
      ROUTES.map(async (route) => [
        route.id,
        parsed(await handlerOf(api, route.id)(loadEvent(route.fixture), lambdaContext())),
      ]),
    );
    // Assess
    const expected = await Promise.all(
      ROUTES.map(async (route) => [route.id, await containerAnswer(loadEvent(route.fixture))]),
    );
    expect(Object.fromEntries(answers)).toEqual(Object.fromEntries(expected));
    expect(answers.map(([, answer]) => (answer as { status: number }).status)).toEqual(ROUTES.map(() => 200));
  });
});

describe('Module: handlers/model', () => {
  it('loads the item side at init and reads users on demand when USER_PRELOAD_MB is 0', async () => {
    // Prepare
    const logs = captureLogs();
    // Act
    const api = await coldStart({ MODEL_URI: dir, USER_PRELOAD_MB: '0' });
    const loaded = logs().filter((l) => l.message === 'model_loaded');
    const user = parsed(await api.userRecommendations(loadEvent('user-recommendations'), lambdaContext()));
    // Assess
    expect(loaded.map((l) => [l.version, l.users])).toEqual([[FIXTURE_VERSION, 'on demand']]);
    expect(user).toEqual(await containerAnswer(loadEvent('user-recommendations')));
  });

  it('preloads users when users.bin fits USER_PRELOAD_MB', async () => {
    // Prepare
    const logs = captureLogs();
    // Act
    await coldStart({ MODEL_URI: dir, USER_PRELOAD_MB: '1' });
    // Assess
    expect(
      logs()
        .filter((l) => l.message === 'model_loaded')
        .map((l) => l.users),
    ).toEqual(['preloaded']);
  });

  it('answers 503 naming MODEL_URI when it is unset, logged once at init and not per request', async () => {
    // Prepare
    const logs = captureLogs();
    const api = await coldStart({ MODEL_URI: undefined });
    const model = await import('../../handlers/model.js');
    // Act
    const answers = [
      parsed(await api.ping(loadEvent('ping'), lambdaContext())),
      parsed(await api.ping(loadEvent('ping'), lambdaContext())),
    ];
    // Assess
    const message =
      'MODEL_URI is not set: set it to s3://bucket/prefix (serverless.yml param modelUri) or a model directory';
    expect(answers).toEqual(
      Array(2).fill({ status: 503, body: { error: { code: 'MODEL_NOT_LOADED', message } } }),
    );
    const current = await model.currentRecommender();
    // (a fresh module registry: its error classes are not this file's)
    expect({ name: (current as Error).name, code: (current as ModelNotLoadedError).code }).toEqual({
      name: 'ModelNotLoadedError',
      code: 'MODEL_NOT_LOADED',
    });
    expect(
      logs()
        .filter((l) => l.message === 'model_load_failed')
        .map((l) => [l.level, l.error]),
    ).toEqual([['ERROR', message]]);
  });

  it('answers a missing model directory with a 503 saying what was tried and when it tries again', async () => {
    // Prepare
    const logs = captureLogs();
    const missing = join(dir, 'nothing-here');
    const api = await coldStart({ MODEL_URI: missing });
    // Act
    const answer = parsed(await api.ping(loadEvent('ping'), lambdaContext()));
    // Assess
    expect(answer).toEqual({
      status: 503,
      body: {
        error: {
          code: 'MODEL_NOT_LOADED',
          message: 'No model loaded: attempt 1 failed (no model is published yet); next attempt in 1 s',
        },
      },
    });
    expect(
      logs()
        .filter((l) => l.message === 'model_load_failed')
        .map((l) => [l.attempt, l.retryInSeconds, l.error]),
    ).toEqual([[1, 1, `No model published at ${missing}: latest.json not found`]]);
  });
});

describe('Module: handlers/environment', () => {
  it('fails init naming a bad variable', async () => {
    // Act + Assess
    await expect(coldStart({ MODEL_URI: dir, MAX_K: 'lots' })).rejects.toMatchObject({
      name: 'ConfigInvalidError',
      code: 'CONFIG_INVALID',
      message: 'Invalid environment variable MAX_K must be an integer between 1 and 10000 (got "lots")',
    });
  });

  it('logs through the Powertools logger at each level, with child keys', async () => {
    // Prepare
    const logs = captureLogs();
    vi.resetModules();
    vi.stubEnv('LOG_LEVEL', 'debug');
    const { asLog } = await import('../../handlers/environment.js');
    const log = asLog();
    // Act
    log.debug('d', { a: 1 });
    log.info('i');
    log.warn('w', { b: 2 });
    log.child({ requestId: 'r1' }).error('e', { c: 3 });
    // Assess
    expect(
      logs().map(({ level, message, a, b, c, requestId }) => ({ level, message, a, b, c, requestId })),
    ).toEqual([
      { level: 'DEBUG', message: 'd', a: 1, b: undefined, c: undefined, requestId: undefined },
      { level: 'INFO', message: 'i', a: undefined, b: undefined, c: undefined, requestId: undefined },
      { level: 'WARN', message: 'w', a: undefined, b: 2, c: undefined, requestId: undefined },
      { level: 'ERROR', message: 'e', a: undefined, b: undefined, c: 3, requestId: 'r1' },
    ]);
  });
});

/**
 * handlers/model.ts when S3 fails, on the Lambda path: the wrapped handlers with real API Gateway
 * events, reading through a gate in front of the S3 emulator that can refuse connections (`down`, a
 * dead port) or accept and never answer (`hang`). Only Date is faked: the runtime's backoff reads the
 * clock, while sockets and timeouts are real.
 * @module
 */
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LambdaHandler } from '../../handlers/http.js';
import { publishModel } from '../../src/store/index.js';
import { lambdaContext, loadEvent, ROUTES, type RouteId } from '../events/api-gateway.js';
import { FIXTURE_VERSION, fixtureArtifact } from '../helpers/fixture-model.js';
import { type Moto, startMoto } from '../helpers/moto.js';
import { type S3Gate, startS3Gate } from '../helpers/s3-gate.js';

type Handlers = Record<RouteId, LambdaHandler>;
type LogLine = Record<string, unknown> & { level: string; message: string };
interface Answer {
  status: number;
  code: string | undefined;
  message: string | undefined;
  ms: number;
}

const BUCKET = 'lambda-faults';
/** serverless.yml's function timeout: an invocation that loads must finish inside it. */
const FUNCTION_TIMEOUT_MS = 10_000;
/** handlers/model.ts: the S3 client gives up on a silent socket after this long. */
const S3_IDLE_TIMEOUT_MS = 2000;

let moto: Moto;
let s3: S3Client;
let gate: S3Gate;
let lines: string[];

/** What the Powertools logger wrote since the test began, as records. */
const logs = (): LogLine[] =>
  lines
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
const logged = (message: string): LogLine[] => logs().filter((l) => l.message === message);

/** Fresh handler modules (a new init, which makes the first load attempt) reading `prefix` through the gate. */
async function coldStart(prefix: string): Promise<{ handlers: Handlers; initMs: number }> {
  vi.resetModules();
  Object.assign(process.env, {
    ...moto.env,
    AWS_ENDPOINT_URL: gate.endpoint,
    MODEL_URI: `s3://${BUCKET}/${prefix}`,
    AWS_S3_FORCE_PATH_STYLE: 'true',
    MODEL_REFRESH_SECONDS: '0',
    MODEL_RETRY_MAX_SECONDS: '30',
    USER_PRELOAD_MB: '0',
    LOG_LEVEL: 'info',
  });
  const started = performance.now();
  const api = (await import('../../handlers/api.js')) as unknown as Handlers;
  return { handlers: api, initMs: performance.now() - started };
}

/** Invokes a route's function with its fixture event, timing the invocation. */
async function invoke(handlers: Handlers, id: RouteId): Promise<Answer> {
  const route = ROUTES.find((r) => r.id === id)!;
  const started = performance.now();
  const result: APIGatewayProxyResult = await handlers[id](loadEvent(route.fixture), lambdaContext());
  const ms = performance.now() - started;
  const body = JSON.parse(result.body) as { error?: { code: string; message: string } };
  return { status: result.statusCode, code: body.error?.code, message: body.error?.message, ms };
}

/**
 * The backoff of src/serving/runtime.ts for a run of requests: attempt n failing at time t waits
 * min(30, 2^(n-1)) s, and the first request at or after that time makes attempt n + 1.
 * @returns per request, the attempt that answered it and the seconds its 503 says are left
 */
function backoffSchedule(
  requestTimesMs: readonly number[],
): { attempt: number; left: number; attempted: boolean }[] {
  let attempt = 1;
  let retryAt = 2 ** 0 * 1000;
  return requestTimesMs.map((t) => {
    const attempted = t >= retryAt;
    if (attempted) {
      attempt++;
      retryAt = t + Math.min(30, 2 ** (attempt - 1)) * 1000;
    }
    return { attempt, left: Math.ceil((retryAt - t) / 1000), attempted };
  });
}

/** The 503 a client reads: the kind of failure and the next attempt, never the bucket or SDK text. */
const waiting = (attempt: number, why: string, left: number) =>
  `No model loaded: attempt ${attempt} failed (${why}); next attempt in ${left} s`;

beforeAll(async () => {
  moto = await startMoto();
  s3 = new S3Client({ endpoint: moto.endpoint, forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  gate = await startS3Gate(moto.endpoint);
});

beforeEach(() => {
  lines = [];
  const keep = (chunk: unknown): boolean => {
    lines.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(keep);
  vi.spyOn(process.stderr, 'write').mockImplementation(keep);
  vi.useFakeTimers({ toFake: ['Date'] });
  gate.calls.length = 0;
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

afterAll(async () => {
  await gate.close();
  s3.destroy();
  await moto.stop();
});

describe('Module: handlers/model (S3 refusing connections, then back)', () => {
  it('makes one load attempt per backoff step however many requests come, and loads once S3 is back', async () => {
    // Prepare: S3 gone before init
    await gate.set('down');
    const { handlers } = await coldStart('outage');
    const t0 = Date.now();
    const routes: RouteId[] = [
      'ping',
      'invocations',
      'userRecommendations',
      'similarVideos',
      'recommendations',
    ];
    const offsets = Array.from({ length: 40 }, (_, i) => i * 250);
    // Act: 40 requests over 10 s of clock
    const answers: Answer[] = [];
    for (const [i, offset] of offsets.entries()) {
      vi.setSystemTime(t0 + offset);
      answers.push(await invoke(handlers, routes[i % routes.length]!));
    }
    // Assess: attempts at 0 (init), 1, 3 and 7 s; every answer a 503 saying which attempt failed and when the next is
    const schedule = backoffSchedule(offsets);
    const why = 'the model store could not be read';
    expect(answers.map((a) => [a.status, a.code])).toEqual(offsets.map(() => [503, 'MODEL_NOT_LOADED']));
    answers.forEach((answer, i) => {
      expect(answer.message).toBe(waiting(schedule[i]!.attempt, why, schedule[i]!.left));
    });
    const failures = logged('model_load_failed');
    expect(failures[0]?.error).toMatch(
      new RegExp(`^Cannot read s3://${BUCKET}/outage/latest.json: .*ECONNREFUSED`),
    );
    expect(failures.map((l) => [l.level, l.attempt, l.retryInSeconds])).toEqual([
      ['ERROR', 1, 1],
      ['ERROR', 2, 2],
      ['ERROR', 3, 4],
      ['ERROR', 4, 8],
    ]);
    expect(failures).toHaveLength(1 + schedule.filter((s) => s.attempted).length);

    // Act: S3 comes back and the model is published; a request inside the backoff, then one after it
    await gate.set('up');
    await publishModel(`s3://${BUCKET}/outage`, fixtureArtifact(), {}, { s3 });
    vi.setSystemTime(t0 + 10_000);
    const inBackoff = await invoke(handlers, 'ping');
    const callsInBackoff = gate.calls.length;
    vi.setSystemTime(t0 + 15_000);
    const after = await handlers.ping(loadEvent('ping'), lambdaContext());
    // Assess
    expect({ inBackoff: [inBackoff.status, inBackoff.message], callsInBackoff }).toEqual({
      inBackoff: [503, waiting(4, why, 5)],
      callsInBackoff: 0,
    });
    expect({ status: after.statusCode, body: JSON.parse(after.body) }).toEqual({
      status: 200,
      body: { status: 'ok', modelVersion: FIXTURE_VERSION },
    });
    expect({
      failed: logged('model_load_failed').length,
      loaded: logged('model_loaded').map((l) => [l.version, l.users]),
    }).toEqual({ failed: 4, loaded: [[FIXTURE_VERSION, 'on demand']] });
  });
});

describe('Module: handlers/model (S3 accepting connections and never answering)', () => {
  it('bounds each attempt inside the function timeout and answers 503 at once while one is due or running', async () => {
    // Prepare + Act: init's attempt stalls on S3
    await gate.set('hang');
    const { handlers, initMs } = await coldStart('stall');
    const initCalls = gate.calls.map((c) => `${c.method} ${c.path}`);
    // Assess: two SDK attempts of GET latest.json, each cut after S3_IDLE_TIMEOUT_MS, well inside the function timeout
    expect(initCalls).toEqual(Array(2).fill(`GET /${BUCKET}/stall/latest.json`));
    expect(initMs).toBeGreaterThanOrEqual(2 * S3_IDLE_TIMEOUT_MS - 100);
    expect(initMs).toBeLessThan(FUNCTION_TIMEOUT_MS);
    const why = 'the model store could not be read';

    // Act: requests inside the backoff
    const t0 = Date.now();
    const inBackoff: Answer[] = [];
    for (let i = 0; i < 10; i++)
      inBackoff.push(await invoke(handlers, i % 2 ? 'ping' : 'userRecommendations'));
    // Assess: each answered without touching S3, in a small fraction of one S3 timeout
    for (const answer of inBackoff) expect(answer.message).toBe(waiting(1, why, 1));
    expect(gate.calls).toHaveLength(2);
    expect(Math.max(...inBackoff.map((a) => a.ms))).toBeLessThan(S3_IDLE_TIMEOUT_MS / 4);

    // Act: the backoff is over and eight requests arrive together
    vi.setSystemTime(t0 + 1000);
    const together = await Promise.all(Array.from({ length: 8 }, () => invoke(handlers, 'ping')));
    // Assess: one of them made the one attempt (two more GETs) and waited for it; the others were told it is running
    const attempting = together.filter((a) => a.message?.includes('attempt 2'));
    const told = together.filter((a) => !a.message?.includes('attempt 2'));
    expect(gate.calls).toHaveLength(4);
    expect(attempting.map((a) => a.message)).toEqual([waiting(2, why, 2)]);
    expect(told.map((a) => [a.status, a.message])).toEqual(
      Array(7).fill([503, 'No model loaded yet: loading']),
    );
    expect(attempting[0]!.ms).toBeGreaterThanOrEqual(2 * S3_IDLE_TIMEOUT_MS - 100);
    expect(Math.max(...told.map((a) => a.ms))).toBeLessThan(S3_IDLE_TIMEOUT_MS / 4);

    // Act: S3 answers again; the next request after the backoff loads the model
    await gate.set('up');
    await publishModel(`s3://${BUCKET}/stall`, fixtureArtifact(), {}, { s3 });
    vi.setSystemTime(t0 + 3000);
    const after = await invoke(handlers, 'ping');
    // Assess
    expect([after.status, logged('model_load_failed').length, logged('model_loaded').length]).toEqual([
      200, 2, 1,
    ]);
  });
});

describe('Module: handlers/model (a corrupt version published)', () => {
  it('refuses it with a 503 saying so, does not download it again, and loads it once its files are fixed', async () => {
    // Prepare: a published version whose items.bin has one byte flipped
    const artifact = fixtureArtifact();
    const { manifestUri } = await publishModel(`s3://${BUCKET}/corrupt`, artifact, {}, { s3 });
    const itemsKey = `corrupt/models/${artifact.manifest.version}/items.bin`;
    const good = await (
      await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: itemsKey }))
    ).Body!.transformToByteArray();
    const bad = Uint8Array.from(good);
    bad[bad.length - 1]! ^= 0xff;
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: itemsKey, Body: bad }));
    await gate.set('up');
    const { handlers } = await coldStart('corrupt');
    const t0 = Date.now();
    // Act
    const first = await invoke(handlers, 'userRecommendations');
    vi.setSystemTime(t0 + 1000);
    const second = await invoke(handlers, 'ping');
    const itemsGets = gate.calls.filter((c) => c.method === 'GET' && c.path.endsWith('/items.bin'));
    // Assess
    const why = 'the published model is invalid';
    expect([first.status, first.code, first.message]).toEqual([503, 'MODEL_NOT_LOADED', waiting(1, why, 1)]);
    expect([second.status, second.message]).toEqual([503, waiting(2, why, 2)]);
    expect(itemsGets).toHaveLength(1);
    expect(logged('model_refused').map((l) => [l.level, l.version, l.error])).toEqual([
      ['ERROR', artifact.manifest.version, expect.stringMatching(/items\.bin.*sha256/)],
    ]);
    expect(manifestUri).toContain(artifact.manifest.version);

    // Act: the file is rewritten whole; the next attempt notices and loads it
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: itemsKey, Body: good }));
    vi.setSystemTime(t0 + 3000);
    const fixed = await invoke(handlers, 'ping');
    // Assess
    expect([fixed.status, logged('model_loaded').map((l) => l.version)]).toEqual([
      200,
      [artifact.manifest.version],
    ]);
  });
});

/**
 * The container's `serve` command as a real process (the bundled server with a test control channel,
 * test/helpers/serve-harness.ts), over real sockets: the shared HTTP cases, and each fault the
 * serving-runtime issue lists, broken on purpose.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USERS_FILE, versionDir } from '../../src/artifact/index.js';
import { publishModel } from '../../src/store/index.js';
import { casesFor, urlOf } from '../helpers/api-cases.js';
import { artifactOf, FIXTURE_VERSION, fixtureArtifact, fixtureModelData } from '../helpers/fixture-model.js';
import { freePort } from '../helpers/moto.js';
import {
  harnessBundle,
  logged,
  pingStatus,
  type ServeProcess,
  startServe,
  waitFor,
} from '../helpers/serve-process.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'serve-test-'));
let bundle: string;
const running: ServeProcess[] = [];

async function serve(env: Record<string, string>): Promise<ServeProcess> {
  const server = startServe(bundle, { PORT: String(await freePort()), WORKERS: '2', ...env });
  running.push(server);
  return server;
}

async function ready(server: ServeProcess): Promise<void> {
  await waitFor(async () => (await pingStatus(server.url)).status === 200, 20_000, `${server.url}/ping 200`);
}

/** A second model version: the fixture with u001's factors changed, so answers differ. */
function secondVersion() {
  const model = fixtureModelData();
  model.userFactors.set([0, 1], 0);
  return artifactOf(model);
}

beforeAll(async () => {
  bundle = await harnessBundle();
}, 60_000);

afterAll(async () => {
  for (const server of running) if (server.child.exitCode === null) server.child.kill('SIGKILL');
});

describe('Command: serve (shared HTTP cases over real sockets)', () => {
  let server: ServeProcess;
  let empty: ServeProcess;
  let emptyDir: string;
  beforeAll(async () => {
    const dir = tmp();
    await publishModel(dir, fixtureArtifact());
    server = await serve({ MODEL_URI: dir, ACCESS_LOG_SAMPLE: '1' });
    emptyDir = tmp();
    empty = await serve({ MODEL_URI: emptyDir });
    await ready(server);
  }, 60_000);

  for (const apiCase of casesFor('container')) {
    it(`answers the shared case: ${apiCase.name}`, async () => {
      const target = apiCase.model === 'fixture' ? server : empty;
      const response = await fetch(`${target.url}${urlOf(apiCase)}`, {
        method: apiCase.request.method,
        headers: apiCase.request.headers,
        ...(apiCase.request.body === undefined ? {} : { body: apiCase.request.body }),
      });
      expect({ status: response.status, body: await response.json() }).toEqual(apiCase.expected);
    });
  }

  it('says why there is no model, and when to retry, without the location (the log has it)', async () => {
    const response = await fetch(`${empty.url}/ping`);
    const body = (await response.json()) as { error: { message: string } };
    expect({ message: body.error.message, retryAfter: Number(response.headers.get('retry-after')) }).toEqual({
      message: expect.stringMatching(
        /^No model loaded: attempt \d+ failed \(no model is published yet\); next attempt in \d+ s$/,
      ),
      retryAfter: expect.any(Number),
    });
    expect(body.error.message).not.toContain(emptyDir);
    expect(logged(empty, 'model_load_failed')[0]?.error).toContain(`No model published at ${emptyDir}`);
  });

  it('logs a client that leaves mid-body as 499 in the access line, not as a failure', async () => {
    // Act: headers promise 1000 bytes; 10 arrive, then the client goes.
    const socket = connect(Number(new URL(server.url).port), '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(
      'POST /invocations HTTP/1.1\r\nhost: x\r\nx-request-id: req-gone-1\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"user_id"',
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.destroy();
    await waitFor(
      () => logged(server, 'request').some((l) => l.reqId === 'req-gone-1'),
      5000,
      'the access line',
    );
    // Assess
    expect(logged(server, 'request').find((l) => l.reqId === 'req-gone-1')).toMatchObject({ status: 499 });
    expect(logged(server, 'request failed')).toEqual([]);
  });

  it('echoes the SageMaker custom attributes and serves the docs and the OpenAPI description', async () => {
    const response = await fetch(`${server.url}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-Amzn-SageMaker-Custom-Attributes': 'trace=abc' },
      body: '{"user_id":"u001","k":1}',
    });
    const spec = (await (await fetch(`${server.url}/openapi.json`)).json()) as { openapi: string };
    const page = await (await fetch(`${server.url}/docs`)).text();
    const script = await fetch(`${server.url}/docs/swagger-ui-bundle.js`);
    expect([response.status, response.headers.get('x-amzn-sagemaker-custom-attributes')]).toEqual([
      200,
      'trace=abc',
    ]);
    expect(spec.openapi).toBe('3.1.0');
    expect(page).toContain("url: '/openapi.json'");
    expect([script.status, (await script.text()).length > 100_000]).toEqual([200, true]);
  });

  it('always logs failed requests, whatever the sample rate', async () => {
    await fetch(`${empty.url}/invocations`, {
      method: 'POST',
      body: '{}',
      headers: { 'x-request-id': 'req-failed-1' },
    });
    await waitFor(
      () => logged(empty, 'request').some((l) => l.reqId === 'req-failed-1'),
      5000,
      'the access line',
    );
    expect(logged(empty, 'request').find((l) => l.reqId === 'req-failed-1')).toMatchObject({ status: 503 });
  });

  it('writes one JSON access line per request from the request threads', async () => {
    await fetch(`${server.url}/ping`, { headers: { 'x-amzn-requestid': 'req-access-1' } });
    await waitFor(
      () => logged(server, 'request').some((l) => l.reqId === 'req-access-1'),
      5000,
      'the access line',
    );
    expect(logged(server, 'request').find((l) => l.reqId === 'req-access-1')).toMatchObject({
      level: 'info',
      method: 'GET',
      url: '/ping',
      status: 200,
      thread: expect.any(Number),
    });
  });
});

describe('Command: serve (start-up and fatal errors)', () => {
  it('exits 1 with one line when the port is already in use', async () => {
    const port = await freePort();
    const blocker = createServer().listen(port, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const server = startServe(bundle, { PORT: String(port), MODEL_URI: tmp() });
    expect(await server.exited).toBe(1);
    blocker.close();
    expect(server.stderr().trim().split('\n')).toEqual([
      `serve: cannot listen on 127.0.0.1:${port}: EADDRINUSE`,
    ]);
  });

  it('exits 1 with one line for an unusable MODEL_URI or MODEL_VERSION, and for a bad variable', async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ MODEL_URI: 'ftp://x/y' }, /^serve: Model URI ftp:\/\/x\/y has an unsupported scheme/],
      [{ MODEL_URI: tmp(), MODEL_VERSION: 'nope' }, /^serve: MODEL_VERSION "nope" is not a version id/],
      [{ MODEL_URI: tmp(), MAX_K: 'many' }, /^serve: Invalid environment variable MAX_K must be an integer/],
    ];
    for (const [env, message] of cases) {
      const server = startServe(bundle, { PORT: String(await freePort()), ...env });
      expect(await server.exited).toBe(1);
      const lines = server.stderr().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(message);
    }
  });

  it('answers 503 until the model is published, then 200 from every thread and never 503 again', async () => {
    const dir = tmp();
    const server = await serve({ MODEL_URI: dir, MODEL_RETRY_MAX_SECONDS: '1' });
    await waitFor(async () => (await pingStatus(server.url)).status === 503, 10_000, 'the 503 listener');
    const seen: number[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) seen.push((await pingStatus(server.url)).status);
    })();
    await publishModel(dir, fixtureArtifact());
    await waitFor(() => seen.filter((s) => s === 200).length >= 50, 20_000, '50 answers 200');
    polling = false;
    await poller;
    const firstOk = seen.indexOf(200);
    expect(seen.slice(0, firstOk)).not.toContain(200);
    expect(seen.slice(firstOk).filter((s) => s !== 200)).toEqual([]);
  }, 40_000);
});

describe('Command: serve (broken on purpose)', () => {
  it('answers 503 without internals when a user block cannot be read, logging the cause with the request id', async () => {
    const dir = tmp();
    const artifact = fixtureArtifact();
    await publishModel(dir, artifact);
    const server = await serve({ MODEL_URI: dir, USER_PRELOAD_MB: '0' });
    await ready(server);
    // Act: the version's users.bin disappears before any user was read.
    rmSync(join(dir, ...versionDir(artifact.manifest.version).split('/'), USERS_FILE));
    const response = await fetch(`${server.url}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'req-broken-1' },
      body: '{"user_id":"u001","k":2}',
    });
    const body = (await response.json()) as { error: { code: string; message: string } };
    await waitFor(() => logged(server, 'request failed').length > 0, 5000, 'the failure line');
    // Assess
    expect({ status: response.status, body }).toEqual({
      status: 503,
      body: { error: { code: 'ARTIFACT_INVALID', message: 'The model is unavailable right now; try again' } },
    });
    expect(logged(server, 'request failed')[0]).toMatchObject({ level: 'error', reqId: 'req-broken-1' });
    expect(JSON.stringify(logged(server, 'request failed')[0])).toContain(USERS_FILE);
  }, 40_000);

  it('replaces killed request threads and keeps serving; only requests on them fail', async () => {
    const dir = tmp();
    await publishModel(dir, fixtureArtifact());
    const server = await serve({ MODEL_URI: dir });
    await ready(server);
    await server.send({ kill: 0 });
    await server.send({ kill: 1 });
    await waitFor(async () => (await pingStatus(server.url)).status === 200, 10_000, 'threads back');
    const threads = (await server.send({ threads: true })) as {
      threads: { slot: number; listening: boolean }[];
    };
    await waitFor(
      async () =>
        ((await server.send({ threads: true })) as typeof threads).threads.filter((t) => t.listening)
          .length === 2,
      10_000,
      'both threads listening',
    );
    const answers = await Promise.all(Array.from({ length: 20 }, () => pingStatus(server.url)));
    expect(answers.map((a) => a.status)).toEqual(new Array(20).fill(200));
    expect(
      logged(server, 'thread_exited')
        .map((l) => l.slot)
        .sort(),
    ).toEqual([0, 1]);
    expect(server.child.exitCode).toBeNull();
  }, 40_000);

  it('exits 0 on SIGTERM within SHUTDOWN_TIMEOUT_SECONDS, cutting a client that stalls its body', async () => {
    const dir = tmp();
    await publishModel(dir, fixtureArtifact());
    const server = await serve({
      MODEL_URI: dir,
      SHUTDOWN_TIMEOUT_SECONDS: '3',
      REQUEST_TIMEOUT_SECONDS: '120',
    });
    await ready(server);
    const port = Number(new URL(server.url).port);
    const stalled = connect(port, '127.0.0.1');
    await new Promise((r) => stalled.once('connect', r));
    stalled.write(
      'POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"user_id"',
    );
    const cut = new Promise((r) => stalled.once('close', r));
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    await cut;
    expect(Date.now() - started).toBeLessThan(3500);
  }, 30_000);

  it('cuts a client that never finishes its body after REQUEST_TIMEOUT_SECONDS', async () => {
    const dir = tmp();
    await publishModel(dir, fixtureArtifact());
    const server = await serve({ MODEL_URI: dir, REQUEST_TIMEOUT_SECONDS: '2' });
    await ready(server);
    const stalled = connect(Number(new URL(server.url).port), '127.0.0.1');
    let answer = '';
    stalled.on('data', (chunk: Buffer) => {
      answer += chunk.toString();
    });
    stalled.write('POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{');
    const started = Date.now();
    await new Promise((r) => stalled.once('close', r));
    expect(Date.now() - started).toBeLessThan(6000);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  }, 20_000);

  it('logs a garbage pointer once per content and keeps serving the version it has', async () => {
    const dir = tmp();
    const first = await publishModel(dir, fixtureArtifact());
    const server = await serve({ MODEL_URI: dir, MODEL_REFRESH_SECONDS: '1' });
    await ready(server);
    writeFileSync(join(dir, 'latest.json'), '{ this is not json');
    await new Promise((r) => setTimeout(r, 3500));
    writeFileSync(join(dir, 'latest.json'), '{"version":"nope"}');
    await new Promise((r) => setTimeout(r, 2500));
    expect(logged(server, 'pointer_invalid')).toHaveLength(2);
    expect(await pingStatus(server.url)).toEqual({ status: 200, version: first.version });
  }, 30_000);

  it('refuses a corrupt version, then loads it on every thread once it is fixed in place', async () => {
    const dir = tmp();
    const first = await publishModel(dir, fixtureArtifact());
    const server = await serve({ MODEL_URI: dir, MODEL_REFRESH_SECONDS: '1' });
    await ready(server);
    // Publish v2 with a flipped byte in items.bin: the pointer moves to a version that fails its sha256.
    const second = secondVersion();
    const good = second.files['items.bin']!;
    const bad = Uint8Array.from(good);
    bad[bad.length - 1] = (bad[bad.length - 1] as number) ^ 0xff;
    const published = await publishModel(dir, { ...second, files: { ...second.files, 'items.bin': bad } });
    await waitFor(() => logged(server, 'model_refused').length > 0, 10_000, 'the refusal');
    await new Promise((r) => setTimeout(r, 2500));
    expect(logged(server, 'model_refused')).toHaveLength(1);
    const during = await Promise.all(Array.from({ length: 20 }, () => pingStatus(server.url)));
    expect(new Set(during.map((p) => p.version))).toEqual(new Set([first.version]));
    // Fix items.bin in place (same pointer, same version): every thread moves to it, none stays behind.
    const itemsPath = join(dir, 'models', published.version, 'items.bin');
    writeFileSync(`${itemsPath}.tmp`, good);
    copyFileSync(`${itemsPath}.tmp`, itemsPath);
    await waitFor(
      async () => (await pingStatus(server.url)).version === published.version,
      10_000,
      'the fixed version',
    );
    const after = await Promise.all(Array.from({ length: 30 }, () => pingStatus(server.url)));
    expect(new Set(after.map((p) => p.version))).toEqual(new Set([published.version]));
    expect(readFileSync(itemsPath).equals(Buffer.from(good))).toBe(true);
  }, 40_000);

  it('switches every thread to a new version together: once seen, the old version never answers again', async () => {
    const dir = tmp();
    const first = await publishModel(dir, fixtureArtifact());
    const server = await serve({ MODEL_URI: dir, MODEL_REFRESH_SECONDS: '1' });
    await ready(server);
    // Each answer with whether its request was sent after some answer had shown the new version: only
    // those must be new (a request sent before may still be answered by the old one, and arrive later).
    const answers: { version: string; sentAfterNew: boolean }[] = [];
    let newSeen = false;
    let polling = true;
    const pollers = Array.from({ length: 4 }, async () => {
      while (polling) {
        const sentAfterNew = newSeen;
        const { version } = await pingStatus(server.url);
        if (!version) continue;
        if (version !== first.version) newSeen = true;
        answers.push({ version, sentAfterNew });
      }
    });
    await waitFor(() => answers.length >= 20, 10_000, 'answers from the first version');
    const second = await publishModel(dir, secondVersion());
    await waitFor(
      () => answers.filter((a) => a.sentAfterNew).length >= 100,
      20_000,
      'answers after the new version',
    );
    polling = false;
    await Promise.all(pollers);
    expect(new Set(answers.map((a) => a.version))).toEqual(new Set([first.version, second.version]));
    expect(answers.filter((a) => a.sentAfterNew && a.version !== second.version)).toEqual([]);
  }, 40_000);
});

describe('Command: serve (metrics and SageMaker settings)', () => {
  interface Emf {
    _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
    [key: string]: unknown;
  }
  const emfLines = (server: ServeProcess): Emf[] =>
    server.lines.filter((l) => l.startsWith('{"_aws"')).map((l) => JSON.parse(l) as Emf);

  it('writes aggregated EMF lines per route and status from every thread, and the model line', async () => {
    // Prepare: two request threads, lines every second.
    const dir = tmp();
    await publishModel(dir, fixtureArtifact());
    const server = await serve({
      MODEL_URI: dir,
      METRICS_INTERVAL_SECONDS: '1',
      POWERTOOLS_SERVICE_NAME: 'recs-test',
    });
    await ready(server);
    const post = (body: unknown) =>
      fetch(`${server.url}/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });

    // Act: 4 known users, 2 popular fallbacks, 1 fold-in, 1 unknown user (404), a batch of 2, 3 pings.
    for (let i = 0; i < 4; i++) await post({ user_id: 'u001', k: 2 });
    for (let i = 0; i < 2; i++) await post({ user_id: 'nobody', k: 2, fallback: 'popular' });
    await post({ watched: ['v001'], k: 2 });
    await post({ user_id: 'nobody' });
    await post({ requests: [{ user_id: 'u001' }, { user_id: 'nobody', fallback: 'popular' }] });
    for (let i = 0; i < 3; i++) await fetch(`${server.url}/ping`);
    const total = (route: string, status: string, name: string): number =>
      emfLines(server)
        .filter((l) => l.route === route && l.status === status)
        .reduce((sum, l) => sum + (l[name] as number), 0);
    // The 200 that ended ready() came from a request thread too (the supervisor answers only 503s): 4 pings.
    await waitFor(
      () => total('invocations', '200', 'Requests') === 8 && total('ping', '200', 'Requests') === 4,
      10_000,
      'the EMF lines of 13 requests',
    );

    // Assess: the counts add up across threads and intervals; the latency values are one per request.
    const lines = emfLines(server);
    const invocations = lines.filter((l) => l.route === 'invocations' && l.status === '200');
    expect({
      requests: total('invocations', '200', 'Requests'),
      answers: total('invocations', '200', 'Answers'),
      fallback: total('invocations', '200', 'FallbackAnswers'),
      foldIn: total('invocations', '200', 'FoldInAnswers'),
      notFound: total('invocations', '404', 'Requests'),
      latencies: invocations.flatMap((l) => l.Latency as number[]).length,
    }).toEqual({ requests: 8, answers: 9, fallback: 3, foldIn: 1, notFound: 1, latencies: 8 });
    expect(invocations[0]?._aws.CloudWatchMetrics[0]).toEqual({
      Namespace: 'VideoRecommender',
      Dimensions: [['service', 'route', 'status'], ['service', 'route'], ['service']],
      Metrics: [
        { Name: 'Requests', Unit: 'Count' },
        { Name: 'ServerErrors', Unit: 'Count' },
        { Name: 'Latency', Unit: 'Milliseconds' },
        { Name: 'Answers', Unit: 'Count' },
        { Name: 'FallbackAnswers', Unit: 'Count' },
        { Name: 'FoldInAnswers', Unit: 'Count' },
      ],
    });
    expect(invocations[0]?.service).toBe('recs-test');
    const model = lines.find((l) => 'ModelAgeSeconds' in l);
    expect(model).toMatchObject({
      modelVersion: FIXTURE_VERSION,
      ModelLoadFailures: 0,
      service: 'recs-test',
    });
    expect(model?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service']]);
  }, 40_000);

  it('takes SAGEMAKER_MODEL_SERVER_WORKERS as its thread count and answers /execution-parameters with it', async () => {
    // Prepare
    const dir = tmp();
    await publishModel(dir, fixtureArtifact());
    const server = await serve({ MODEL_URI: dir, WORKERS: '', SAGEMAKER_MODEL_SERVER_WORKERS: '1' });
    await ready(server);
    // Act
    const response = await fetch(`${server.url}/execution-parameters`);
    // Assess
    expect({ status: response.status, body: await response.json() }).toEqual({
      status: 200,
      body: { MaxConcurrentTransforms: 1, BatchStrategy: 'MULTI_RECORD', MaxPayloadInMB: 1 },
    });
    expect(logged(server, 'listening')[0]).toMatchObject({ threads: 1 });
  }, 40_000);
});

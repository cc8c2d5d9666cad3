import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../container/server.js';
import { loadConfig } from '../../src/serving/config.js';
import { publishModel } from '../../src/store/index.js';
import { casesFor, FIXTURE_VERSION, fixtureArtifact, urlOf } from '../helpers/api-cases.js';
import { freePort } from '../helpers/moto.js';

const ROOT = new URL('../..', import.meta.url).pathname;

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Sends raw bytes on one socket and resolves with everything the server answers until it closes. */
function rawRequest(port: number): { send(text: string): void; response: Promise<string> } {
  const socket = connect(port, '127.0.0.1');
  let received = '';
  const response = new Promise<string>((resolve, reject) => {
    socket.on('data', (chunk) => {
      received += chunk.toString();
    });
    socket.on('end', () => resolve(received));
    socket.on('error', reject);
  });
  return { send: (text) => socket.write(text), response };
}

describe('Function: startServer', () => {
  let dir: string;
  let server: RunningServer;
  let base: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'container-server-'));
    const port = await freePort();
    const config = loadConfig({
      MODEL_URI: dir,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      MAX_BODY_BYTES: '2048',
    });
    server = await startServer(config, { retryMs: { first: 50, max: 100 } });
    base = server.url;
  });
  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers /ping 503 while no model is there, then 200 once one is published', async () => {
    // Act: the directory is empty, so loading fails and is retried in the background.
    const before = await fetch(`${base}/ping`);
    await publishModel(dir, fixtureArtifact());
    await server.ready;
    const after = await fetch(`${base}/ping`);
    // Assess
    expect({ status: before.status, body: await before.json() }).toEqual({
      status: 503,
      body: { error: { code: 'MODEL_NOT_LOADED', message: 'No model is loaded yet' } },
    });
    expect({ status: after.status, body: await after.json() }).toEqual({
      status: 200,
      body: { status: 'ok', modelVersion: FIXTURE_VERSION },
    });
  });

  for (const apiCase of casesFor('container').filter((c) => c.model === 'fixture')) {
    it(`answers the shared case over HTTP: ${apiCase.name}`, async () => {
      await server.ready;
      const response = await fetch(`${base}${urlOf(apiCase)}`, {
        method: apiCase.request.method,
        headers: apiCase.request.headers,
        ...(apiCase.request.body === undefined ? {} : { body: apiCase.request.body }),
      });
      expect({ status: response.status, body: await response.json() }).toEqual(apiCase.expected);
    });
  }

  it('answers JSON Lines over HTTP and echoes the custom attributes', async () => {
    await server.ready;
    const response = await fetch(`${base}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/jsonlines', 'x-amzn-sagemaker-custom-attributes': 'a=1' },
      body: '{"user_id":"u001","k":1}\n{"user_id":"u999"}\n',
    });
    expect({
      status: response.status,
      type: response.headers.get('content-type'),
      attributes: response.headers.get('x-amzn-sagemaker-custom-attributes'),
      body: await response.text(),
    }).toEqual({
      status: 200,
      type: 'application/jsonlines; charset=utf-8',
      attributes: 'a=1',
      body: '{"userId":"u001","recommendations":[{"videoId":"v004","score":1.25}]}\n{"error":{"code":"UNKNOWN_USER","message":"Unknown user: u999"}}\n',
    });
  });

  it('refuses a body above MAX_BODY_BYTES with 413 and the shared error body', async () => {
    const response = await fetch(`${base}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user_id: 'u001', exclude: Array.from({ length: 400 }, (_, i) => `v${i}`) }),
    });
    expect({ status: response.status, body: await response.json() }).toEqual({
      status: 413,
      body: { error: { code: 'PAYLOAD_TOO_LARGE', message: 'Request body is larger than 2048 bytes' } },
    });
  });
});

describe('Function: main (the serve process)', () => {
  let dir: string;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'container-main-'));
    await publishModel(dir, fixtureArtifact());
  });
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('serves with two workers and on SIGTERM finishes the in-flight request, then exits 0', async () => {
    // Prepare
    const port = await freePort();
    child = spawn(process.execPath, ['--import', 'tsx', 'container/main.ts', 'serve'], {
      cwd: ROOT,
      env: {
        ...process.env,
        MODEL_URI: dir,
        SAGEMAKER_BIND_TO_PORT: String(port),
        WORKERS: '2',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/ping`)).status === 200, 60_000);
    const body = '{"user_id":"u001","k":1}';
    const inFlight = rawRequest(port);
    inFlight.send(
      `POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body.slice(0, 10)}`,
    );
    await new Promise((r) => setTimeout(r, 300));
    // Act: SIGTERM while the request's body is still arriving.
    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    inFlight.send(body.slice(10));
    // Assess
    const answer = await inFlight.response;
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({
      userId: 'u001',
      recommendations: [{ videoId: 'v004', score: 1.25 }],
    });
    expect(await exited).toBe(0);
    await expect(fetch(`http://127.0.0.1:${port}/ping`)).rejects.toThrow();
  });
});

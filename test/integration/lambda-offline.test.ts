import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../deploy/lambda-package.js';
import { publishModel } from '../../src/store/index.js';
import { FIXTURE_VERSION, fixtureArtifact } from '../helpers/fixture-model.js';
import { freePort } from '../helpers/moto.js';

let dir: string;
let dev: ChildProcess;
let base: string;
let key: string;
let output = '';

/** Waits until `npm run dev:lambda` says it is ready, and returns the API key it printed. */
function ready(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`dev:lambda not ready after 150 s:\n${output}`)),
      150_000,
    );
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const found = output.match(/API key: (\S+)/)?.[1];
      if (found && found !== 'see') {
        clearTimeout(timer);
        resolve(found);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`dev:lambda exited (${code}):\n${output}`)));
  });
}

beforeAll(async () => {
  // Prepare: a local artifacts root, as `npm run train` writes it; dev:lambda copies it into the S3 emulator.
  dir = mkdtempSync(join(tmpdir(), 'dev-lambda-'));
  await publishModel(dir, fixtureArtifact());
  const port = await freePort();
  const lambdaPort = await freePort();
  base = `http://localhost:${port}/dev`;
  dev = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'deploy/lambda-dev.ts',
      '--model',
      dir,
      '--emulator',
      '--port',
      String(port),
      '--lambda-port',
      String(lambdaPort),
    ],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  key = await ready(dev);
}, 180_000);

afterAll(async () => {
  if (dev.exitCode === null) {
    const exited = new Promise((resolve) => dev.once('exit', resolve));
    dev.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('Function: dev:lambda (serverless-offline over real HTTP, model in the S3 emulator)', () => {
  it('serves /ping without a key', async () => {
    // Act
    const response = await fetch(`${base}/ping`);
    // Assess
    expect({ status: response.status, body: await response.json() }).toEqual({
      status: 200,
      body: { status: 'ok', modelVersion: FIXTURE_VERSION },
    });
  });

  it('answers a recommendation route with the API key, as API Gateway would', async () => {
    // Act
    const response = await fetch(`${base}/users/u001/recommendations?k=2`, { headers: { 'x-api-key': key } });
    // Assess
    expect({ status: response.status, body: await response.json() }).toEqual({
      status: 200,
      body: {
        userId: 'u001',
        recommendations: [
          { videoId: 'v004', score: 1.25 },
          { videoId: 'v003', score: 0.75 },
        ],
      },
    });
  });

  it("answers what API Gateway itself answers with serverless-offline's own bodies (as the README says)", async () => {
    // Act: no key, an unknown path, a malformed escape in a path parameter.
    const noKey = await fetch(`${base}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"user_id":"u001"}',
    });
    const unknown = await fetch(`${base}/nope`);
    const malformed = await fetch(`${base}/users/%E0%A4%A/recommendations`, {
      headers: { 'x-api-key': key },
    });
    // Assess: the deployed API answers these with our {"error":{...}} shape (GatewayResponses in
    // serverless.yml); serverless-offline does not apply GatewayResponses, and rejects a malformed escape
    // itself (hapi) before the handler, whose 400 would name the parameter.
    expect([
      { status: noKey.status, body: await noKey.json() },
      { status: unknown.status, body: await unknown.json() },
      { status: malformed.status, body: await malformed.json() },
    ]).toEqual([
      { status: 403, body: { message: 'Forbidden' } },
      {
        status: 404,
        body: expect.objectContaining({
          statusCode: 404,
          error: 'Serverless-offline: route not found.',
          currentRoute: 'get - /dev/nope',
        }),
      },
      { status: 400, body: { statusCode: 400, error: 'Bad Request', message: 'Bad Request' } },
    ]);
  });

  it('refuses a busy Lambda port (--port + 2 by default) with one line naming it, before starting', async () => {
    // Prepare: hold a port.
    const held = createServer();
    await new Promise<void>((resolve) => held.listen(0, 'localhost', resolve));
    const busy = (held.address() as { port: number }).port;
    const apiPort = await freePort();
    // Act
    const run = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'deploy/lambda-dev.ts',
        '--model',
        dir,
        '--port',
        String(apiPort),
        '--lambda-port',
        String(busy),
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    held.close();
    // Assess
    expect({ status: run.status, stderr: run.stderr }).toEqual({
      status: 1,
      stderr: `dev:lambda failed: port ${busy} (serverless-offline's Lambda invoke endpoint, --lambda-port; pass --lambda-port N to move it) is not free: EADDRINUSE\n`,
    });
  });

  it('maps errors through the same mapper over HTTP (malformed JSON is 400)', async () => {
    // Act
    const response = await fetch(`${base}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: '{"user_id":',
    });
    // Assess
    expect({ status: response.status, body: await response.json() }).toEqual({
      status: 400,
      body: {
        error: {
          code: 'INVALID_REQUEST',
          message: 'Invalid request: body must be valid JSON',
          issues: [{ field: 'body', message: 'must be valid JSON' }],
        },
      },
    });
  });
});

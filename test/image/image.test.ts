import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishModel } from '../../src/store/index.js';
import { FIXTURE_VERSION, fixtureArtifact } from '../helpers/fixture-model.js';
import { freePort, type Moto, startMoto } from '../helpers/moto.js';
import { buildArgs, type Engine, findEngine } from './engine.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const TAG = 'localhost/video-recommender:image-test';
const ORIGINAL_ANSWER = {
  userId: 'u001',
  recommendations: [
    { videoId: 'v004', score: 1.25 },
    { videoId: 'v003', score: 0.75 },
    { videoId: 'v005', score: 0.75 },
  ],
};

let engine: Engine;

async function waitForPing(url: string, timeoutMs: number): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${url}/ping`).catch(() => undefined);
    if (response?.status === 200) return response;
    if (Date.now() > deadline)
      throw new Error(`${url}/ping not 200 within ${timeoutMs} ms (last: ${response?.status})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Stops with SIGTERM as SageMaker does, returns the exit code and how long the stop took, removes it. */
function stopContainer(id: string): { exitCode: number; seconds: number } {
  const started = Date.now();
  engine.run(['stop', '-t', '25', id]);
  const seconds = (Date.now() - started) / 1000;
  const exitCode = Number(engine.run(['inspect', id, '--format', '{{.State.ExitCode}}']));
  engine.run(['rm', id]);
  return { exitCode, seconds };
}

async function invoke(url: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${url}/invocations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"user_id":"u001","k":3}',
  });
  return { status: response.status, body: await response.json() };
}

beforeAll(async () => {
  engine = findEngine();
  const started = Date.now();
  process.chdir(ROOT);
  await engine.runAsync(buildArgs(engine.name, TAG));
  console.log(`built ${TAG} with ${engine.name} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
});

describe('Image: video-recommender', () => {
  it('is linux/amd64 in Docker v2 format, runs as the non-root node user, and takes `serve`', () => {
    const inspect = JSON.parse(engine.run(['image', 'inspect', TAG]))[0];
    const size = Number(inspect.Size);
    console.log(`image size: ${(size / 1e6).toFixed(1)} MB (${TAG})`);
    expect({
      os: inspect.Os,
      architecture: inspect.Architecture,
      user: inspect.Config.User,
      entrypoint: inspect.Config.Entrypoint,
      cmd: inspect.Config.Cmd,
      exposed: Object.keys(inspect.Config.ExposedPorts ?? {}),
    }).toEqual({
      os: 'linux',
      architecture: 'amd64',
      user: 'node',
      entrypoint: ['node', '/app/server.mjs'],
      cmd: ['serve'],
      exposed: ['8080/tcp'],
    });
    if (engine.name === 'podman') {
      expect(engine.run(['image', 'inspect', TAG, '--format', '{{.ManifestType}}'])).toBe(
        'application/vnd.docker.distribution.manifest.v2+json',
      );
    }
    // Neither sources nor dependencies nor npm reach the final stage.
    const listing = engine.run([
      'run',
      '--rm',
      '--entrypoint',
      'sh',
      TAG,
      '-c',
      'ls -A /app; ls /usr/local/lib/node_modules 2>/dev/null | wc -l',
    ]);
    expect(listing.split('\n')).toEqual(['server.mjs', 'swagger-ui', '0']);
  });

  describe('with the model mounted at /opt/ml/model, started as `IMAGE serve`', () => {
    let dir: string;
    let id: string;
    let url: string;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'image-model-'));
      await publishModel(dir, fixtureArtifact());
      await chmod(dir, 0o755);
      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      id = engine.run([
        'run',
        '-d',
        '-p',
        `127.0.0.1:${port}:8080`,
        '-v',
        `${dir}:/opt/ml/model:ro`,
        TAG,
        'serve',
      ]);
    });
    afterAll(async () => {
      if (id) engine.run(['rm', '-f', id]);
      await rm(dir, { recursive: true, force: true });
    });

    it('answers /ping, /invocations and JSON Lines, as uid 1000, and stops cleanly on SIGTERM', async () => {
      const ping = await waitForPing(url, 90_000);
      const lines = await fetch(`${url}/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/jsonlines' },
        body: '{"user_id":"u001","k":1}\n{"user_id":"u002","k":1}\n',
      });
      // The docs ship inside the image (swagger-ui files beside the bundle), not from a CDN.
      const docs = await fetch(`${url}/docs/swagger-ui-bundle.js`);
      const spec = await fetch(`${url}/openapi.json`);
      expect(await ping.json()).toEqual({ status: 'ok', modelVersion: FIXTURE_VERSION });
      expect(await invoke(url)).toEqual({ status: 200, body: ORIGINAL_ANSWER });
      expect((await lines.text()).trim().split('\n')).toHaveLength(2);
      expect([docs.status, (await docs.text()).length > 100_000]).toEqual([200, true]);
      expect(((await spec.json()) as { openapi: string }).openapi).toBe('3.1.0');
      expect(
        engine.run(['exec', id, 'sh', '-c', 'id -u; ps -o user= -p 1 2>/dev/null || stat -c %u /proc/1']),
      ).toMatch(/^1000\n/);
      const stop = stopContainer(id);
      id = '';
      console.log(`SIGTERM stop took ${stop.seconds.toFixed(1)} s`);
      expect(stop.exitCode).toBe(0);
      expect(stop.seconds).toBeLessThan(25);
    });
  });

  describe('with MODEL_URI pointing at the S3 emulator', () => {
    let moto: Moto;
    let id: string;

    beforeAll(async () => {
      moto = await startMoto();
      const s3 = new S3Client({ region: 'us-east-1', endpoint: moto.endpoint, forcePathStyle: true });
      await s3.send(new CreateBucketCommand({ Bucket: 'image-test-models' }));
      await publishModel('s3://image-test-models/recommender', fixtureArtifact(), {}, { s3 });
    });
    afterAll(async () => {
      if (id) engine.run(['rm', '-f', id]);
      await moto?.stop();
    });

    it('loads the model from S3 and answers like the original', async () => {
      const port = await freePort();
      const env = {
        MODEL_URI: 's3://image-test-models/recommender',
        AWS_ENDPOINT_URL: moto.endpoint,
        AWS_ACCESS_KEY_ID: 'testing',
        AWS_SECRET_ACCESS_KEY: 'testing',
        AWS_REGION: 'us-east-1',
        AWS_S3_FORCE_PATH_STYLE: 'true',
        SAGEMAKER_BIND_TO_PORT: String(port),
      };
      const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
      id = engine.run(['run', '-d', '--network=host', ...envArgs, TAG, 'serve']);
      const url = `http://127.0.0.1:${port}`;
      const ping = await waitForPing(url, 90_000);
      expect(await ping.json()).toEqual({ status: 'ok', modelVersion: FIXTURE_VERSION });
      expect(await invoke(url)).toEqual({ status: 200, body: ORIGINAL_ANSWER });
      const stop = stopContainer(id);
      id = '';
      expect(stop.exitCode).toBe(0);
    });
  });
});

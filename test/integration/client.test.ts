/**
 * The typed client (client/index.ts, openapi-fetch over the generated types) and the README's Python
 * snippet against the container's server as a real process.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecommenderClient } from '../../client/index.js';
import { publishModel } from '../../src/store/index.js';
import { FIXTURE_VERSION, fixtureArtifact } from '../helpers/fixture-model.js';
import { freePort } from '../helpers/moto.js';
import {
  harnessBundle,
  pingStatus,
  type ServeProcess,
  startServe,
  waitFor,
} from '../helpers/serve-process.js';

let server: ServeProcess;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'client-'));
  await publishModel(dir, fixtureArtifact());
  server = startServe(await harnessBundle(), {
    PORT: String(await freePort()),
    MODEL_URI: dir,
    WORKERS: '1',
  });
  await waitFor(async () => (await pingStatus(server.url)).status === 200, 20_000, 'the server');
}, 90_000);

afterAll(() => {
  if (server?.child.exitCode === null) server.child.kill('SIGKILL');
});

describe('Function: createRecommenderClient', () => {
  it('calls every kind of route with typed parameters and bodies and reads typed answers', async () => {
    // Prepare
    const api = createRecommenderClient({ baseUrl: server.url });
    // Act
    const ping = await api.GET('/ping');
    const user = await api.POST('/invocations', { body: { user_id: 'u001', k: 2 } });
    const similar = await api.GET('/videos/{videoId}/similar', {
      params: { path: { videoId: 'v001' }, query: { k: '2' } },
    });
    const unknown = await api.GET('/users/{userId}/recommendations', {
      params: { path: { userId: 'nobody' } },
    });
    // Assess
    expect(ping.data).toEqual({ status: 'ok', modelVersion: FIXTURE_VERSION });
    expect(user.data).toEqual({
      userId: 'u001',
      recommendations: [
        { videoId: 'v004', score: 1.25 },
        { videoId: 'v003', score: 0.75 },
      ],
    });
    expect(similar.response.status).toBe(200);
    expect({ status: unknown.response.status, error: unknown.error }).toEqual({
      status: 404,
      error: { error: { code: 'UNKNOWN_USER', message: 'Unknown user: nobody' } },
    });
  });
});

/** The README's Python client, pointed at `url`. */
function readmePython(url: string): string {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  // The client snippet under **Python** (the README has other Python, e.g. the PySpark job).
  const block = /\*\*Python\*\*[\s\S]*?```python\n([\s\S]*?)```/.exec(readme)?.[1];
  if (block === undefined) throw new Error('README.md has no Python block');
  return block.replaceAll('http://localhost:8080', url);
}

describe('README: the Python client', () => {
  it('gets recommendations and the popular fallback, and raises our error body as RuntimeError', () => {
    // Prepare
    const script = `${readmePython(server.url)}
try:
    recommend("${server.url}", {"user_id": "nobody"})
except RuntimeError as e:
    print(json.dumps(e.args[0], separators=(",", ":")))
`;
    // Act
    const lines = execFileSync('python3', ['-c', script], { encoding: 'utf8' }).trim().split('\n');
    // Assess
    expect(lines).toEqual([
      expect.stringContaining("'userId': 'u001', 'recommendations': [{'videoId': 'v004', 'score': 1.25}"),
      expect.stringContaining("'source': 'popular'"),
      JSON.stringify({ code: 'UNKNOWN_USER', message: 'Unknown user: nobody' }),
    ]);
  });
});

import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelNotLoadedError } from '../../src/core/errors.js';
import { publishModel } from '../../src/store/publish.js';
import { exportLine, exportRecommendations } from '../../training/export.js';
import { FIXTURE_VERSION, fixtureArtifact, fixtureRecommender } from '../helpers/fixture-model.js';

let work: string;
let model: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'export-'));
  model = join(work, 'model');
  await publishModel(model, fixtureArtifact());
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const rec = fixtureRecommender();

describe('Function: exportRecommendations', () => {
  it("writes one line per user with the API's answer for that user, and reports progress", async () => {
    // Prepare
    const out = join(work, 'out');
    const progress: number[] = [];

    // Act
    const result = await exportRecommendations(
      { model, destination: out, k: 2 },
      { start: (users) => progress.push(-users), progress: (n) => progress.push(n) },
    );

    // Assess
    const name = `recommendations-${FIXTURE_VERSION}-k2.jsonl`;
    const lines = (await readFile(join(out, name), 'utf8')).trimEnd().split('\n');
    const parsed = lines.map((line) => JSON.parse(line) as { userId: string });
    expect(result).toMatchObject({ version: FIXTURE_VERSION, uri: join(out, name), users: 3 });
    expect(parsed.map((p) => p.userId).sort()).toEqual(['u001', 'u002', 'u003']);
    for (const line of parsed) {
      const expected = await rec.recommendForUser(line.userId, { k: 2 });
      expect(line).toEqual({ userId: line.userId, recommendations: expected.items });
    }
    expect(progress).toEqual([-3, 1, 1, 1]);
    expect(result.bytes).toBe(Buffer.byteLength(lines.join('\n')) + 1);
    expect(await readdir(out)).toEqual([name]);
  });

  it('compresses with gzip when asked, under the name given', async () => {
    // Act
    const result = await exportRecommendations({
      model,
      destination: join(work, 'gz'),
      k: 1,
      gzip: true,
      name: 'recs.jsonl.gz',
    });

    // Assess
    const text = gunzipSync(await readFile(result.uri)).toString('utf8');
    expect(result.uri).toBe(join(work, 'gz', 'recs.jsonl.gz'));
    expect(text.split('\n').filter((l) => l !== '')).toHaveLength(3);
    expect(text).toContain(exportLine({ userId: 'u001', items: [{ videoId: 'v004', score: 1.25 }] }));
  });

  it('creates nothing when no model is published at the source', async () => {
    const out = join(work, 'none');
    await expect(
      exportRecommendations({ model: join(work, 'empty'), destination: out, k: 3 }),
    ).rejects.toThrow(ModelNotLoadedError);
    expect(existsSync(out)).toBe(false);
  });
});

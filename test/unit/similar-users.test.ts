import { describe, expect, it } from 'vitest';
import { encodeModel, viewItems } from '../../src/artifact/index.js';
import { UnknownUserError } from '../../src/core/errors.js';
import type { ModelData } from '../../src/core/model-data.js';
import { createRecommender, lazyUserSide } from '../../src/recommender/index.js';
import { handleFromArtifact, openModel } from '../../src/serving/index.js';
import { clusteredModel } from '../helpers/clustered-model.js';
import { FIXTURE_PARAMS, fixtureRecommender } from '../helpers/fixture-model.js';

const rec = fixtureRecommender();

/** Cosine of two rows of a row-major matrix. */
function cosine(m: Float32Array, f: number, a: number, b: number): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let d = 0; d < f; d++) {
    const x = m[a * f + d] as number;
    const y = m[b * f + d] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return dot / Math.sqrt(na * nb);
}

describe('Function: similarUsers (through the recommender)', () => {
  it('ranks the other users by cosine of their factors, the user left out (known answers)', async () => {
    // Act
    const all = await rec.similarUsers('u001', { k: 5 });
    const one = await rec.similarUsers('u001', { k: 1 });

    // Assess: u001 = (1, 0.5), u002 = (0, 1), u003 = (0.5, -0.5)
    expect(all.map((u) => u.userId)).toEqual(['u002', 'u003']);
    expect(all[0]?.score).toBeCloseTo(1 / Math.sqrt(5), 12);
    expect(all[1]?.score).toBeCloseTo(1 / Math.sqrt(10), 12);
    expect(one).toEqual(all.slice(0, 1));
  });

  it('refuses an unknown user', async () => {
    await expect(rec.similarUsers('u999', { k: 3 })).rejects.toThrow(new UnknownUserError('u999'));
  });

  it('finds through the similar-users index what an exact scan finds (recall@10 >= 0.95), reading only probed lists', async () => {
    // Prepare: 3,000 users in 12 taste groups, the index forced on (it is built from 50,000 users up).
    const model: ModelData = clusteredModel({ items: 300, users: 3000, factors: 16, groups: 12, seed: 9 });
    const artifact = encodeModel(model, {
      params: { ...FIXTURE_PARAMS, factors: 16 },
      datasetDigest: 'clustered',
      userIndex: 'ivf',
    });
    const handle = handleFromArtifact(artifact);
    const open = (exact: boolean) =>
      openModel(handle, {
        slot: 0,
        scoring: { exact },
        userCacheBytes: 1 << 24,
        sourceFor: () => {
          throw new Error('memory');
        },
      });
    const [ann, exact] = [open(false), open(true)];
    const queries = model.userIds.filter((_, i) => i % 150 === 0);

    // Act
    let hits = 0;
    for (const id of queries) {
      const found = new Set((await ann.similarUsers(id, { k: 10 })).map((u) => u.userId));
      for (const u of await exact.similarUsers(id, { k: 10 })) if (found.has(u.userId)) hits++;
    }

    // Assess
    const index = artifact.manifest.userIndex;
    expect(index?.kind).toBe('ivf');
    expect(hits / (queries.length * 10)).toBeGreaterThanOrEqual(0.95);
    const u = model.userIds.indexOf(queries[0] as string);
    const top = (await exact.similarUsers(queries[0] as string, { k: 1 }))[0];
    expect(top?.score).toBeCloseTo(
      cosine(model.userFactors, 16, u, model.userIds.indexOf(top?.userId ?? '')),
      5,
    );
  });

  it('reads the user block and the probed lists only, each once, when users are read on demand', async () => {
    // Prepare
    const model = clusteredModel({ items: 200, users: 2000, factors: 8, groups: 8, seed: 4 });
    const artifact = encodeModel(model, {
      params: { ...FIXTURE_PARAMS, factors: 8 },
      datasetDigest: 'c',
      userIndex: 'ivf',
    });
    const items = viewItems(artifact.manifest, artifact.files['items.bin'] as Uint8Array);
    const bytes = artifact.files['users.bin'] as Uint8Array;
    const reads: number[] = [];
    const ivf = items.userIvf;
    if (!ivf) throw new Error('expected the index');
    const users = lazyUserSide(
      items.users,
      {
        read: async (start, end) => {
          reads.push(start);
          return bytes.slice(start, end);
        },
      },
      { lists: { offsets: ivf.offsets, digests: ivf.digests } },
    );
    const { params, index, userIndex, version } = artifact.manifest;
    const lazy = createRecommender({ version, params, index, userIndex, items, users });
    const nprobe = userIndex?.kind === 'ivf' ? userIndex.nprobe : 0;

    // Act
    const first = await lazy.similarUsers('u1', { k: 5 });
    const readsFirst = reads.length;
    const again = await lazy.similarUsers('u1', { k: 5 });

    // Assess: one block for the user, nprobe lists (past the hash-ordered blocks); nothing more the second time.
    expect(first).toEqual(again);
    expect(first).toHaveLength(5);
    expect(readsFirst).toBe(1 + nprobe);
    expect(reads.slice(1).every((start) => start >= (ivf.offsets[0] as number))).toBe(true);
    expect(reads).toHaveLength(readsFirst);
  });
});

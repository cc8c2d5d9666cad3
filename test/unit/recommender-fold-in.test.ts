import { describe, expect, it } from 'vitest';
import { trainAls } from '../../src/als/train.js';
import { csrFromTriples } from '../../src/core/csr.js';
import type { AlsParams, ModelData } from '../../src/core/model-data.js';
import { handleFromArtifact, openModel } from '../../src/serving/index.js';
import { artifactOf } from '../helpers/fixture-model.js';

/** A small synthetic data set with structure: users prefer one of four item clusters. */
function syntheticModelInput(): { users: number; items: number; r: number[]; c: number[]; v: number[] } {
  let x = 12345;
  const rand = () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 4294967296;
  };
  const users = 300;
  const items = 120;
  const r: number[] = [];
  const c: number[] = [];
  const v: number[] = [];
  for (let u = 0; u < users; u++) {
    const cluster = u % 4;
    for (let n = 0; n < 12; n++) {
      const inCluster = rand() < 0.8;
      const item = inCluster ? cluster * 30 + Math.floor(rand() * 30) : Math.floor(rand() * items);
      r.push(u);
      c.push(item);
      v.push(1 + Math.floor(rand() * 3));
    }
  }
  return { users, items, r, c, v };
}

describe('Method: recommendFromWatched (fold-in against training)', () => {
  it("reproduces a training user's own ranking from their history", async () => {
    // Prepare
    const data = syntheticModelInput();
    const seen = csrFromTriples(data.users, data.items, data.r, data.c, data.v);
    const params: AlsParams = {
      factors: 8,
      regularization: 0.1,
      alpha: 1,
      iterations: 30,
      cgSteps: 3,
      threads: 1,
      seed: 42,
    };
    const trained = await trainAls(seen, params);
    const model: ModelData = {
      factors: params.factors,
      userIds: Array.from({ length: data.users }, (_, u) => `u${u}`),
      videoIds: Array.from({ length: data.items }, (_, i) => `v${i}`),
      userFactors: trained.userFactors,
      itemFactors: trained.itemFactors,
      seen,
      popularity: new Float32Array(data.items),
      metadata: null,
    };
    // The artifact records the training params, which fold-in reads (alpha, regularization).
    const rec = openModel(handleFromArtifact(artifactOf(model, params)), {
      slot: 0,
      scoring: {},
      userCacheBytes: 1 << 20,
      sourceFor: () => {
        throw new Error('in-memory models read no files');
      },
    });

    // Act: fold in each of 40 users from their own (summed) training history.
    const overlaps: number[] = [];
    for (let u = 0; u < 40; u++) {
      const watched = [];
      for (let j = seen.indptr[u] as number; j < (seen.indptr[u + 1] as number); j++) {
        watched.push({ videoId: `v${seen.indices[j]}`, weight: seen.data[j] as number });
      }
      const trainedTop = (await rec.recommendForUser(`u${u}`, { k: 10 })).items.map((i) => i.videoId);
      const foldedTop = new Set(rec.recommendFromWatched(watched, { k: 10 }).items.map((i) => i.videoId));
      overlaps.push(trainedTop.filter((id) => foldedTop.has(id)).length / 10);
    }

    // Assess: the trained user factors were solved (3 CG steps) against the previous iteration's
    // item factors, fold-in solves exactly against the final ones, so tops agree closely, not exactly.
    const mean = overlaps.reduce((a, b) => a + b, 0) / overlaps.length;
    expect(mean).toBeGreaterThanOrEqual(0.95);
    expect(Math.min(...overlaps)).toBeGreaterThanOrEqual(0.8);
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import { explainUser, fitWeighting, foldInUser, gramMatrix, weightingOf } from '../../src/als/index.js';
import { encodeModel, type ItemSideView, viewItems } from '../../src/artifact/index.js';
import { InvalidRequestError, UnknownUserError, UnknownVideoError } from '../../src/core/errors.js';
import { probeLists } from '../../src/ranking/ivf.js';
import type { Recommender, RecommendResult, ScoringOptions } from '../../src/recommender/index.js';
import { handleFromArtifact, type ModelHandle, openModel } from '../../src/serving/index.js';
import { clusteredModel } from '../helpers/clustered-model.js';
import {
  FIXTURE_PARAMS,
  FIXTURE_VERSION,
  fixtureModelData,
  fixtureRecommender,
  recommenderOf,
} from '../helpers/fixture-model.js';

// The fixture is documented in test/helpers/fixture-model.ts: u001 = (1, 0.5) watched v001, so its
// scores are v001 1, v002 0.5, v003 0.75, v004 1.25, v005 0.75, v006 -0.375.
const rec = fixtureRecommender();

const ids = (result: RecommendResult): string[] => result.items.map((i) => i.videoId);

describe('Function: createRecommender', () => {
  it('reports version, counts and index', () => {
    // Assess
    expect({ version: rec.version, counts: rec.counts, index: rec.index }).toEqual({
      version: FIXTURE_VERSION,
      counts: { users: undefined, videos: 6, factors: 2 },
      index: { kind: 'exact' },
    });
  });
});

describe('Method: recommendForUser', () => {
  it('ranks by dot product, watched left out, ties to the lower index', async () => {
    // Act
    const result = await rec.recommendForUser('u001', { k: 3 });
    // Assess
    expect(result).toEqual({
      source: 'model',
      items: [
        { videoId: 'v004', score: 1.25 },
        { videoId: 'v003', score: 0.75 },
        { videoId: 'v005', score: 0.75 },
      ],
    });
  });

  it('returns k results in score order', async () => {
    // Act
    const result = await rec.recommendForUser('u001', { k: 5 });
    // Assess
    expect(ids(result)).toEqual(['v004', 'v003', 'v005', 'v002', 'v006']);
  });

  it('keeps watched videos when asked', async () => {
    // Act
    const result = await rec.recommendForUser('u001', { k: 2, keepWatched: true });
    // Assess
    expect(result.items).toEqual([
      { videoId: 'v004', score: 1.25 },
      { videoId: 'v001', score: 1 },
    ]);
  });

  it('returns fewer than k when fewer candidates remain, never padding', async () => {
    // Act: u002 watched v002 and v005, so four videos remain.
    const result = await rec.recommendForUser('u002', { k: 10 });
    // Assess
    expect(result.items).toEqual([
      { videoId: 'v003', score: 0.5 },
      { videoId: 'v004', score: 0.5 },
      { videoId: 'v006', score: 0.25 },
      { videoId: 'v001', score: 0 },
    ]);
  });

  it('ranks every video for a user who watched nothing', async () => {
    // Act: u003 = (0.5, -0.5).
    const result = await rec.recommendForUser('u003', { k: 6 });
    // Assess
    expect(ids(result)).toEqual(['v001', 'v004', 'v003', 'v005', 'v006', 'v002']);
  });

  it('honours an exclusion list and an allow-list, ignoring unknown ids', async () => {
    // Act
    const excluded = await rec.recommendForUser('u001', { k: 3, exclude: ['v004', 'nope'] });
    const allowed = await rec.recommendForUser('u001', { k: 3, allow: ['v006', 'v002', 'v001', 'nope'] });
    // Assess: v001 is allowed but watched.
    expect([ids(excluded), ids(allowed)]).toEqual([
      ['v003', 'v005', 'v002'],
      ['v002', 'v006'],
    ]);
  });

  it('applies metadata filters before top-k, case-insensitively', async () => {
    // Act
    const results = await Promise.all([
      rec.recommendForUser('u001', { k: 2, filter: { language: 'EN' } }),
      rec.recommendForUser('u001', { k: 5, filter: { tags: ['food'] } }),
      rec.recommendForUser('u001', { k: 5, filter: { language: ['en'], tags: ['Food '] } }),
      rec.recommendForUser('u001', { k: 5, filter: { language: ['de', 'it'] } }),
      rec.recommendForUser('u001', { k: 5, filter: { language: 'de' } }),
    ]);
    // Assess
    expect(results.map(ids)).toEqual([
      ['v004', 'v003'],
      ['v003', 'v005', 'v002'],
      ['v003'],
      ['v005', 'v002'],
      [],
    ]);
  });

  it('adds metadata when asked, and nothing for videos without it', async () => {
    // Act
    const result = await rec.recommendForUser('u001', {
      k: 5,
      includeMetadata: true,
      allow: ['v004', 'v006'],
    });
    // Assess
    expect(result.items).toEqual([
      {
        videoId: 'v004',
        score: 1.25,
        title: 'Advanced TypeScript',
        tags: ['code', 'ts'],
        language: 'en',
        lengthSeconds: 900,
      },
      { videoId: 'v006', score: -0.375 },
    ]);
  });

  it('rejects an unknown user with UnknownUserError, or falls back to popular videos when asked', async () => {
    // Act
    const fallback = await rec.recommendForUser('u999', { k: 3, fallback: 'popular', exclude: ['v003'] });
    // Assess
    await expect(rec.recommendForUser('u999', { k: 3 })).rejects.toThrow(new UnknownUserError('u999'));
    expect(fallback).toEqual({
      source: 'popular',
      items: [
        { videoId: 'v001', score: 5 },
        { videoId: 'v002', score: 3 },
        { videoId: 'v005', score: 2 },
      ],
    });
  });

  it('rejects a k that is not a positive integer as a caller bug (RangeError, not a client error)', async () => {
    // Assess: the API layer validates k; the recommender only guards against code faults.
    await expect(rec.recommendForUser('u001', { k: 0 })).rejects.toThrow(RangeError);
    await expect(rec.recommendForUser('u001', { k: 1.5 })).rejects.toThrow(RangeError);
  });

  it('rejects a metadata filter when the model has no metadata', async () => {
    // Prepare
    const bare = recommenderOf({ ...fixtureModelData(), metadata: null, coldVideos: undefined });
    // Act
    const filtered = bare.recommendForUser('u001', { k: 3, filter: { language: 'en' } });
    // Assess
    await expect(filtered).rejects.toThrow(
      new InvalidRequestError(
        'Invalid request: filter cannot be used: this model carries no video metadata',
        [{ field: 'filter', message: 'cannot be used: this model carries no video metadata' }],
      ),
    );
    expect(ids(await bare.recommendForUser('u001', { k: 1, filter: {} }))).toEqual(['v004']);
  });
});

describe('Method: popular', () => {
  it('walks the popularity order, leaving out watched and excluded videos and applying filters', () => {
    // Act
    const plain = rec.popular({ k: 3 });
    const filtered = rec.popular({
      k: 3,
      watched: Int32Array.of(0),
      exclude: ['v003'],
      filter: { tags: ['food'] },
    });
    // Assess
    expect([plain, filtered]).toEqual([
      {
        source: 'popular',
        items: [
          { videoId: 'v001', score: 5 },
          { videoId: 'v003', score: 4 },
          { videoId: 'v002', score: 3 },
        ],
      },
      {
        source: 'popular',
        items: [
          { videoId: 'v002', score: 3 },
          { videoId: 'v005', score: 2 },
        ],
      },
    ]);
  });
});

describe('Method: similarVideos', () => {
  it('ranks by cosine similarity of item factors, the video itself left out', () => {
    // Act: v001 = (1, 0), so the cosine with (x, y) is x / |(x, y)|.
    const result = rec.similarVideos('v001', { k: 5 });
    // Assess
    expect({ source: result.source, ids: ids(result) }).toEqual({
      source: 'similar',
      ids: ['v004', 'v003', 'v005', 'v002', 'v006'],
    });
    const expected = [
      1 / Math.sqrt(1.25),
      0.5 / Math.sqrt(0.5),
      0.25 / Math.sqrt(1.0625),
      0,
      -0.5 / Math.sqrt(0.3125),
    ];
    result.items.forEach((item, i) => {
      // float32 factors and inverse norms: 6 digits.
      expect(item.score).toBeCloseTo(expected[i] as number, 6);
    });
  });

  it('applies exclusions, allow-lists and filters', () => {
    // Act
    const filtered = rec.similarVideos('v001', { k: 5, exclude: ['v004'], filter: { language: 'en' } });
    const allowed = rec.similarVideos('v001', { k: 5, allow: ['v001', 'v002', 'v005', 'nope'] });
    // Assess: the video itself never comes back, even when allowed.
    expect([ids(filtered), ids(allowed)]).toEqual([['v003'], ['v005', 'v002']]);
  });

  it('throws UnknownVideoError for an unknown video', () => {
    // Assess
    expect(() => rec.similarVideos('v999', { k: 5 })).toThrow(new UnknownVideoError(['v999']));
  });
});

describe('Method: recommendFromWatched', () => {
  it('solves the user exactly (2x2 known answer) and ranks with watched left out', () => {
    // Prepare: watched v001 once, alpha 1 => confidence 1, so A = YtY + 0.1 I and b = y(v001) = (1, 0).
    // YtY over the six items = [[2.5625, 0.875], [0.875, 2.5625]] (sums of x*x, x*y, y*y).
    const a = 2.5625 + FIXTURE_PARAMS.regularization;
    const det = a * a - 0.875 * 0.875;
    const user = [a / det, -0.875 / det];
    const factors: Record<string, [number, number]> = {
      v002: [0, 1],
      v003: [0.5, 0.5],
      v004: [1, 0.5],
      v005: [0.25, 1],
      v006: [-0.5, 0.25],
    };
    // Act
    const result = rec.recommendFromWatched(['v001'], { k: 5 });
    // Assess
    expect({ source: result.source, ids: ids(result) }).toEqual({
      source: 'fold-in',
      ids: ['v004', 'v003', 'v005', 'v002', 'v006'],
    });
    for (const item of result.items) {
      const [x, y] = factors[item.videoId] as [number, number];
      // float32 user factors: 6 digits.
      expect(item.score).toBeCloseTo(x * (user[0] as number) + y * (user[1] as number), 6);
    }
  });

  it('keeps watched videos when asked', () => {
    // Act
    const result = rec.recommendFromWatched(['v001'], { k: 2, keepWatched: true });
    // Assess: the folded-in user is closest to v001 itself.
    expect(ids(result)).toEqual(['v001', 'v004']);
  });

  it('ignores unknown watched ids, and throws or falls back when none is known', () => {
    // Act
    const partly = rec.recommendFromWatched(['v001', 'nope'], { k: 2 });
    const fallback = rec.recommendFromWatched(['nope'], { k: 1, fallback: 'popular' });
    // Assess
    expect(ids(partly)).toEqual(['v004', 'v003']);
    expect(() => rec.recommendFromWatched(['nope', 'gone'], { k: 2 })).toThrow(
      new UnknownVideoError(['nope', 'gone']),
    );
    expect(fallback).toEqual({ source: 'popular', items: [{ videoId: 'v001', score: 5 }] });
  });

  it('uses weights as interaction values', () => {
    // Act: a heavily weighted v002 = (0, 1) pulls the user towards the y axis.
    const light = ids(rec.recommendFromWatched([{ videoId: 'v001', weight: 5 }, 'v002'], { k: 1 }));
    const heavy = ids(rec.recommendFromWatched(['v001', { videoId: 'v002', weight: 50 }], { k: 1 }));
    // Assess
    expect([light, heavy]).toEqual([['v004'], ['v005']]);
  });
});

/** Mean share of the exact results that `answer` also returned. */
function recallOf(answers: readonly string[][], exact: readonly string[][]): number {
  let hit = 0;
  let total = 0;
  exact.forEach((e, i) => {
    const got = new Set(answers[i]);
    for (const id of e) if (got.has(id)) hit++;
    total += e.length;
  });
  return total === 0 ? 1 : hit / total;
}

describe('Oracle: IVF scoring against exact scoring', () => {
  // 10k videos x 32 factors from 50 taste groups, 1500 users, encoded with an IVF index as a large
  // catalogue would be; `ann` scores as served (probed lists), `exact` scans every video.
  const dim = 32;
  const model = clusteredModel({ items: 10_000, users: 1_500, factors: dim, groups: 50, seed: 7 });
  let handle: ModelHandle;
  let items: ItemSideView;
  let ann: Recommender;
  let exact: Recommender;
  let nprobe: number;
  const users = (n: number): string[] => Array.from({ length: n }, (_, u) => `u${u}`);
  const open = (slot: number, scoring: ScoringOptions): Recommender =>
    openModel(handle, {
      slot,
      scoring,
      userCacheBytes: 1 << 20,
      sourceFor: () => {
        throw new Error('in-memory models read no files');
      },
    });

  /** Ids of every video in the lists the index probes for user u. */
  const probedRows = (u: number): { list: number; rows: number[] }[] => {
    const ivf = items.ivf as NonNullable<ItemSideView['ivf']>;
    const scan = probeLists({ ...ivf, dim }, model.userFactors.subarray(u * dim, (u + 1) * dim), nprobe);
    return [...scan.probes].map((list) => ({
      list,
      rows: Array.from(
        { length: (ivf.offsets[list + 1] as number) - (ivf.offsets[list] as number) },
        (_, i) => (ivf.offsets[list] as number) + i,
      ),
    }));
  };

  beforeAll(() => {
    const artifact = encodeModel(model, {
      params: { ...FIXTURE_PARAMS, factors: dim },
      datasetDigest: 'clustered',
      createdAt: new Date('2025-01-01T00:00:00.000Z'),
      index: 'ivf',
    });
    handle = handleFromArtifact(artifact, 2);
    items = viewItems(handle.manifest, handle.items);
    ann = open(0, {});
    exact = open(1, { exact: true });
    nprobe = handle.manifest.index.kind === 'ivf' ? handle.manifest.index.nprobe : 0;
  });

  it('serves from an IVF index that probes a small part of the lists', () => {
    // Assess
    expect({ kind: ann.index.kind, small: nprobe > 0 && nprobe <= (items.ivf?.lists ?? 0) / 4 }).toEqual({
      kind: 'ivf',
      small: true,
    });
  });

  it('reaches recall@10 >= 0.99 against exact scoring over 1000 users', async () => {
    // Act
    const got: string[][] = [];
    const want: string[][] = [];
    for (const user of users(1000)) {
      got.push(ids(await ann.recommendForUser(user, { k: 10 })));
      want.push(ids(await exact.recommendForUser(user, { k: 10 })));
    }
    // Assess: high recall, and the ANN path really answered (it misses a few).
    const recall = recallOf(got, want);
    expect(recall).toBeGreaterThanOrEqual(0.99);
    expect(recall).toBeLessThan(1);
    expect(got.every((g) => g.length === 10)).toBe(true);
  });

  it('returns the exact results when the request excludes 90% of the videos in its probed lists', async () => {
    // Act: per user, every row of the probed lists except each tenth, then the whole of nine lists in ten.
    const mismatches: string[] = [];
    for (const [u, user] of users(150).entries()) {
      const probed = probedRows(u);
      const byRow = probed.flatMap((p) => p.rows.filter((r) => r % 10 !== 0));
      const byList = probed.filter((_, i) => i % 10 !== 0).flatMap((p) => p.rows);
      for (const rows of [byRow, byList]) {
        const exclude = rows.map((r) => items.videoIds.idAt(r));
        const got = await ann.recommendForUser(user, { k: 10, exclude });
        const want = await exact.recommendForUser(user, { k: 10, exclude });
        if (got.items.length !== 10 || JSON.stringify(got) !== JSON.stringify(want)) mismatches.push(user);
      }
    }
    // Assess
    expect(mismatches).toEqual([]);
  });

  it('returns the exact results, k of them when k exist, for a language kept by 1% of the videos', async () => {
    // Act: `rare` alone (100 videos), and with the user's group tag (a handful, fewer than k).
    const mismatches: string[] = [];
    const short: number[] = [];
    for (const [u, user] of users(300).entries()) {
      const group = `g${model.vectors.userGroup[u]}`;
      for (const filter of [{ language: 'rare' }, { language: 'rare', tags: [group] }]) {
        const got = await ann.recommendForUser(user, { k: 10, filter });
        const want = await exact.recommendForUser(user, { k: 10, filter });
        if (JSON.stringify(got) !== JSON.stringify(want)) mismatches.push(user);
        if (filter.tags) short.push(got.items.length);
        else if (got.items.length !== 10) mismatches.push(user);
      }
    }
    // Assess: the tagged filter does leave fewer than k, returned without padding.
    expect(mismatches).toEqual([]);
    expect(short.some((n) => n < 10)).toBe(true);
  });

  it('keeps recall@10 >= 0.99 and k results under a filter kept by a third of the videos', async () => {
    // Act
    const got: string[][] = [];
    const want: string[][] = [];
    for (const user of users(300)) {
      got.push(ids(await ann.recommendForUser(user, { k: 10, filter: { language: 'en' } })));
      want.push(ids(await exact.recommendForUser(user, { k: 10, filter: { language: 'en' } })));
    }
    // Assess
    expect(recallOf(got, want)).toBeGreaterThanOrEqual(0.99);
    expect(got.every((g) => g.length === 10)).toBe(true);
  });

  it('finds the same similar videos as exact scoring (recall@10 >= 0.99)', () => {
    // Act
    const got: string[][] = [];
    const want: string[][] = [];
    for (let v = 0; v < 10_000; v += 37) {
      got.push(ids(ann.similarVideos(`v${v}`, { k: 10 })));
      want.push(ids(exact.similarVideos(`v${v}`, { k: 10 })));
    }
    // Assess
    expect(recallOf(got, want)).toBeGreaterThanOrEqual(0.99);
  });
});

describe('Option: explain', () => {
  it("adds implicit's explanation to each recommendation of a known user (top contributions of the history)", async () => {
    // Prepare: u001 watched v001 with value 2 (alpha 1, regularization 0.1 in the fixture's manifest).
    const model = fixtureModelData();
    const explainer = explainUser(
      model.itemFactors,
      2,
      gramMatrix(model.itemFactors, 6, 2),
      [0],
      [2],
      FIXTURE_PARAMS,
    );

    // Act
    const result = await rec.recommendForUser('u001', { k: 2, explain: true });

    // Assess
    expect(result.items).toEqual([
      {
        videoId: 'v004',
        score: 1.25,
        because: [{ videoId: 'v001', contribution: explainer.explain(3, 3).total }],
      },
      {
        videoId: 'v003',
        score: 0.75,
        because: [{ videoId: 'v001', contribution: explainer.explain(2, 3).total }],
      },
    ]);
  });

  it('explains a fold-in user: the contributions of the watched videos sum to the returned score', () => {
    // Act: two watched videos (at most EXPLAIN_TOP), so `because` lists every contribution.
    const result = rec.recommendFromWatched(['v001', { videoId: 'v002', weight: 3 }], {
      k: 3,
      explain: true,
    });

    // Assess: the fold-in vector is the exact solve (rounded to float32), whose score the shares sum to.
    expect(result.source).toBe('fold-in');
    for (const item of result.items) {
      const because = item.because ?? [];
      expect(because.map((b) => b.videoId).sort()).toEqual(['v001', 'v002']);
      expect(because.reduce((sum, b) => sum + b.contribution, 0)).toBeCloseTo(item.score, 6);
      expect(because[0]?.contribution).toBeGreaterThanOrEqual(because[1]?.contribution ?? 0);
    }
  });

  it('explains nothing for popular fallbacks, and nothing unless asked', async () => {
    const popular = await rec.recommendForUser('u999', { k: 2, fallback: 'popular', explain: true });
    const plain = await rec.recommendForUser('u001', { k: 2 });
    expect([...popular.items, ...plain.items].some((i) => 'because' in i)).toBe(false);
  });
});

describe('Weighting at serve time', () => {
  it('folds in with the weighting training applied (bm25 norms in stored row order, IVF-reordered)', () => {
    // Prepare: a clustered model encoded with an IVF index (rows reordered) and a bm25 weighting.
    const model = clusteredModel({ items: 400, users: 60, factors: 8, groups: 6, seed: 2 });
    const fitted = fitWeighting(model.seen, weightingOf('bm25'));
    const params = { ...FIXTURE_PARAMS, factors: 8, alpha: 2, regularization: 0.5 };
    const artifact = encodeModel(
      { ...model, weighting: fitted },
      { params, datasetDigest: 'w', index: 'ivf' },
    );
    const weighted = openModel(handleFromArtifact(artifact), {
      slot: 0,
      scoring: { exact: true },
      userCacheBytes: 1 << 20,
      sourceFor: () => {
        throw new Error('memory');
      },
    });
    const watched = [3, 17, 250].map((v) => ({ videoId: `v${v}`, weight: 2 }));

    // Act
    const result = weighted.recommendFromWatched(watched, { k: 400 });

    // Assess: the scores of a direct fold-in in training row order with the fitted weighting.
    const vector = foldInUser(
      model.itemFactors,
      8,
      gramMatrix(model.itemFactors, 400, 8),
      [3, 17, 250],
      [2, 2, 2],
      { ...params },
      fitted,
    );
    expect(artifact.manifest.weighting).toEqual({ scheme: 'bm25', k1: 100, b: 0.8 });
    for (const item of result.items.slice(0, 20)) {
      const v = Number(item.videoId.slice(1));
      let score = 0;
      for (let d = 0; d < 8; d++) score += (vector[d] as number) * (model.itemFactors[v * 8 + d] as number);
      expect(item.score).toBeCloseTo(score, 5);
    }
  });
});

describe('Method: recommendBlock', () => {
  it('recommends for every user of each block as recommendForUser does', async () => {
    // Act
    const blocks = await Promise.all(
      Array.from({ length: rec.userBlocks }, (_, b) => rec.recommendBlock(b, { k: 2 })),
    );

    // Assess
    const all = blocks.flat();
    expect(all.map((u) => u.userId).sort()).toEqual(['u001', 'u002', 'u003']);
    for (const user of all)
      expect(user.items).toEqual((await rec.recommendForUser(user.userId, { k: 2 })).items);
  });
});

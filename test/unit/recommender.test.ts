import { describe, expect, it } from 'vitest';
import { InvalidRequestError, UnknownUserError, UnknownVideoError } from '../../src/core/errors.js';
import { createRecommender, type RecommendResult } from '../../src/recommender/recommender.js';
import { FIXTURE_PARAMS, fixtureLoaded, fixtureModelData } from '../helpers/api-cases.js';

// The fixture is documented in test/helpers/api-cases.ts: u001 = (1, 0.5) watched v001, so its
// scores are v001 1, v002 0.5, v003 0.75, v004 1.25, v005 0.75, v006 -0.375.
const rec = createRecommender(fixtureLoaded());

const ids = (result: RecommendResult): string[] => result.items.map((i) => i.videoId);

describe('Function: createRecommender', () => {
  it('reports version, limits and counts', () => {
    expect({ version: rec.version, limits: rec.limits, counts: rec.counts }).toEqual({
      version: fixtureLoaded().version,
      limits: { maxK: 100, maxBatch: 1000 },
      counts: { users: 3, videos: 6, factors: 2 },
    });
    expect([rec.hasUser('u001'), rec.hasUser('u999'), rec.hasVideo('v006'), rec.hasVideo('x')]).toEqual([
      true,
      false,
      true,
      false,
    ]);
  });
});

describe('Method: recommendForUser', () => {
  it('ranks by dot product, watched left out, ties to the lower index', () => {
    expect(rec.recommendForUser('u001', { k: 3 })).toEqual({
      source: 'model',
      items: [
        { videoId: 'v004', score: 1.25 },
        { videoId: 'v003', score: 0.75 },
        { videoId: 'v005', score: 0.75 },
      ],
    });
  });

  it('defaults to k = 5', () => {
    expect(ids(rec.recommendForUser('u001'))).toEqual(['v004', 'v003', 'v005', 'v002', 'v006']);
  });

  it('keeps watched videos when asked', () => {
    expect(rec.recommendForUser('u001', { k: 2, keepWatched: true }).items).toEqual([
      { videoId: 'v004', score: 1.25 },
      { videoId: 'v001', score: 1 },
    ]);
  });

  it('returns fewer than k when fewer candidates remain, never padding', () => {
    // u002 watched v002 and v005: four videos remain.
    expect(ids(rec.recommendForUser('u002', { k: 10 }))).toEqual(['v003', 'v004', 'v006', 'v001']);
  });

  it('honours an exclusion list and an allow-list (unknown ids ignored)', () => {
    expect(ids(rec.recommendForUser('u001', { k: 3, exclude: ['v004', 'nope'] }))).toEqual([
      'v003',
      'v005',
      'v002',
    ]);
    expect(ids(rec.recommendForUser('u001', { k: 3, allow: ['v006', 'v002', 'v001', 'nope'] }))).toEqual([
      'v002',
      'v006',
    ]);
  });

  it('applies metadata filters before top-k, case-insensitively', () => {
    expect(ids(rec.recommendForUser('u001', { k: 2, filter: { language: 'EN' } }))).toEqual(['v004', 'v003']);
    expect(ids(rec.recommendForUser('u001', { k: 5, filter: { tags: ['food'] } }))).toEqual([
      'v003',
      'v005',
      'v002',
    ]);
    expect(ids(rec.recommendForUser('u001', { k: 5, filter: { language: ['en'], tags: ['food'] } }))).toEqual(
      ['v003'],
    );
    expect(ids(rec.recommendForUser('u001', { k: 5, filter: { language: 'de' } }))).toEqual([]);
  });

  it('adds metadata when asked, and nothing for videos without it', () => {
    expect(
      rec.recommendForUser('u001', { k: 5, includeMetadata: true, allow: ['v004', 'v006'] }).items,
    ).toEqual([
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

  it('throws UnknownUserError for an unknown user, or falls back to popular videos when asked', () => {
    expect(() => rec.recommendForUser('u999')).toThrow(UnknownUserError);
    expect(rec.recommendForUser('u999', { k: 3, fallback: 'popular', exclude: ['v003'] })).toEqual({
      source: 'popular',
      items: [
        { videoId: 'v001', score: 5 },
        { videoId: 'v002', score: 3 },
        { videoId: 'v005', score: 2 },
      ],
    });
  });

  it('rejects k outside 1..maxK with InvalidRequestError naming k', () => {
    const small = createRecommender(fixtureLoaded(), { maxK: 2 });
    expect(() => small.recommendForUser('u001', { k: 3 })).toThrow(
      new InvalidRequestError('Invalid request: k must be an integer between 1 and 2', [
        { field: 'k', message: 'must be an integer between 1 and 2' },
      ]),
    );
    expect(() => rec.recommendForUser('u001', { k: 0 })).toThrow(InvalidRequestError);
    expect(() => rec.recommendForUser('u001', { k: 1.5 })).toThrow(InvalidRequestError);
  });

  it('rejects a metadata filter when the model has no metadata', () => {
    const bare = createRecommender({ ...fixtureLoaded(), model: { ...fixtureModelData(), metadata: null } });
    expect(() => bare.recommendForUser('u001', { filter: { language: 'en' } })).toThrow(
      'Invalid request: filter cannot be used: this model carries no video metadata',
    );
  });
});

describe('Method: similarVideos', () => {
  it('ranks by cosine similarity of item factors, the video itself left out', () => {
    // v001 = (1, 0): cosine with (x, y) is x / |(x, y)|.
    const result = rec.similarVideos('v001', { k: 5 });
    expect(ids(result)).toEqual(['v004', 'v003', 'v005', 'v002', 'v006']);
    const expected = [
      1 / Math.sqrt(1.25),
      0.5 / Math.sqrt(0.5),
      0.25 / Math.sqrt(1.0625),
      0,
      -0.5 / Math.sqrt(0.3125),
    ];
    result.items.forEach((item, i) => {
      // float32 factors and norms: 6 digits.
      expect(item.score).toBeCloseTo(expected[i] as number, 6);
    });
    expect(result.source).toBe('similar');
  });

  it('applies exclusions and filters, and throws UnknownVideoError for an unknown video', () => {
    expect(ids(rec.similarVideos('v001', { k: 5, exclude: ['v004'], filter: { language: 'en' } }))).toEqual([
      'v003',
    ]);
    expect(() => rec.similarVideos('v999')).toThrow(new UnknownVideoError(['v999']));
  });
});

describe('Method: recommendFromWatched', () => {
  it('solves the user exactly (2x2 known answer) and ranks with watched left out', () => {
    // Watched v001 once, alpha 1 => confidence 1, so A = YtY + 0.1 I and b = y(v001) = (1, 0).
    // YtY over the six items = [[2.5625, 0.875], [0.875, 2.5625]] (sums of x*x, x*y, y*y).
    const a = 2.5625 + FIXTURE_PARAMS.regularization;
    const det = a * a - 0.875 * 0.875;
    const user = [a / det, -0.875 / det];
    const items: Record<string, [number, number]> = {
      v002: [0, 1],
      v003: [0.5, 0.5],
      v004: [1, 0.5],
      v005: [0.25, 1],
      v006: [-0.5, 0.25],
    };
    const result = rec.recommendFromWatched(['v001'], { k: 5 });
    expect(result.source).toBe('fold-in');
    expect(ids(result)).toEqual(['v004', 'v003', 'v005', 'v002', 'v006']);
    for (const item of result.items) {
      const [x, y] = items[item.videoId] as [number, number];
      // float32 user factors: 6 digits.
      expect(item.score).toBeCloseTo(x * (user[0] as number) + y * (user[1] as number), 6);
    }
  });

  it('ignores unknown watched ids, and throws or falls back when none is known', () => {
    expect(ids(rec.recommendFromWatched(['v001', 'nope'], { k: 2 }))).toEqual(['v004', 'v003']);
    expect(() => rec.recommendFromWatched(['nope', 'gone'])).toThrow(new UnknownVideoError(['nope', 'gone']));
    expect(rec.recommendFromWatched(['nope'], { k: 1, fallback: 'popular' })).toEqual({
      source: 'popular',
      items: [{ videoId: 'v001', score: 5 }],
    });
  });

  it('gives the same answer when YtY is computed lazily on the first fold-in', () => {
    const lazy = createRecommender(fixtureLoaded(), { precomputeFoldIn: false });
    expect(lazy.recommendFromWatched(['v001', 'v003'], { k: 4 })).toEqual(
      rec.recommendFromWatched(['v001', 'v003'], { k: 4 }),
    );
  });

  it('uses weights as interaction values', () => {
    // Heavily weighted v002 = (0, 1) pulls the user towards the y axis.
    const light = ids(rec.recommendFromWatched([{ videoId: 'v001', weight: 5 }, 'v002'], { k: 1 }));
    const heavy = ids(rec.recommendFromWatched(['v001', { videoId: 'v002', weight: 50 }], { k: 1 }));
    expect([light, heavy]).toEqual([['v004'], ['v005']]);
  });
});

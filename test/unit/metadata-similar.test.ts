import { describe, expect, it } from 'vitest';
import { UnknownVideoError } from '../../src/core/errors.js';
import { featuresOf } from '../../src/recommender/metadata-similar.js';
import { fixtureRecommender } from '../helpers/fixture-model.js';

// The fixture (test/helpers/fixture-model.ts): cold video v007 is Italian, tagged food and travel.
const rec = fixtureRecommender();

describe('Function: metadataSimilar (through similarVideos)', () => {
  it('ranks model videos by the Jaccard index of tags + language, ties to the more popular (known answers)', () => {
    // Act
    const result = rec.similarVideos('v007', { k: 5 });

    // Assess: {food, travel, it} against v002 {food, it} 2/3, v005 {food, it} 2/3, v003 {code, food, en} 1/5;
    // v002 (3 users) before v005 (2 users); v001, v004 share nothing and v006 has no metadata.
    expect(result).toEqual({
      source: 'metadata',
      items: [
        { videoId: 'v002', score: 2 / 3 },
        { videoId: 'v005', score: 2 / 3 },
        { videoId: 'v003', score: 1 / 5 },
      ],
    });
  });

  it('applies k, exclusions, allow-lists and filters, and adds metadata when asked', () => {
    expect(rec.similarVideos('v007', { k: 1 }).items.map((i) => i.videoId)).toEqual(['v002']);
    expect(rec.similarVideos('v007', { k: 5, exclude: ['v002'] }).items.map((i) => i.videoId)).toEqual([
      'v005',
      'v003',
    ]);
    expect(rec.similarVideos('v007', { k: 5, allow: ['v003', 'v001'] }).items.map((i) => i.videoId)).toEqual([
      'v003',
    ]);
    expect(
      rec.similarVideos('v007', { k: 5, filter: { language: 'en' } }).items.map((i) => i.videoId),
    ).toEqual(['v003']);
    expect(rec.similarVideos('v007', { k: 1, includeMetadata: true }).items).toEqual([
      {
        videoId: 'v002',
        score: 2 / 3,
        title: 'Cooking pasta',
        tags: ['food'],
        language: 'it',
        lengthSeconds: 600,
      },
    ]);
  });

  it('still refuses a video that is neither in the model nor in the metadata', () => {
    expect(() => rec.similarVideos('v999', { k: 3 })).toThrow(new UnknownVideoError(['v999']));
  });
});

describe('Function: featuresOf', () => {
  it('normalises tags (trimmed, lower case, once each) and the language', () => {
    expect(featuresOf('{"tags":[" Food","food","",3],"language":" IT "}')).toEqual({
      tags: ['food'],
      language: 'it',
    });
    expect(featuresOf('{}')).toEqual({ tags: [], language: undefined });
  });
});

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generateSample, SAMPLE_DEFAULTS, sha256 } from '../../data/generate.js';

const shipped = (name: string): string =>
  readFileSync(fileURLToPath(new URL(`../../data/sample/${name}.csv`, import.meta.url)), 'utf8');

describe('Function: generateSample', () => {
  it('reproduces the shipped sample byte for byte from its seed', () => {
    const sample = generateSample(SAMPLE_DEFAULTS);

    expect({
      interactions: sha256(sample.interactions),
      videos: sha256(sample.videos),
      users: sha256(sample.users),
    }).toEqual({
      interactions: sha256(shipped('interactions')),
      videos: sha256(shipped('videos')),
      users: sha256(shipped('users')),
    });
  });

  it('honours the sizes and gives another sample for another seed', () => {
    const small = { ...SAMPLE_DEFAULTS, users: 40, videos: 25 };

    const [a, b] = [generateSample(small), generateSample({ ...small, seed: small.seed + 1 })];

    expect({
      users: a.users.trimEnd().split('\n').length - 1,
      videos: a.videos.trimEnd().split('\n').length - 1,
      header: a.interactions.slice(0, a.interactions.indexOf('\n')),
      differs: a.interactions !== b.interactions,
    }).toEqual({
      users: 40,
      videos: 25,
      header: 'userId,videoId,interactionType,interactionValue,location,timestamp',
      differs: true,
    });
  });
});

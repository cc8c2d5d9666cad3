import { describe, expect, it } from 'vitest';
import { parseImageUri } from '../../training/sagemaker/image.js';

describe('Function: parseImageUri', () => {
  it('splits an ECR image URI into repository, tag and digest', () => {
    const registry = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
    const digest = `sha256:${'0123456789abcdef'.repeat(4)}`;

    expect([
      parseImageUri(`${registry}/video-recommender:content-1a2b`),
      parseImageUri(`${registry}/team/video-recommender@${digest}`),
      parseImageUri(`${registry}/video-recommender`),
    ]).toEqual([
      {
        repositoryUri: `${registry}/video-recommender`,
        repository: 'video-recommender',
        tag: 'content-1a2b',
      },
      { repositoryUri: `${registry}/team/video-recommender`, repository: 'team/video-recommender', digest },
      { repositoryUri: `${registry}/video-recommender`, repository: 'video-recommender' },
    ]);
  });

  it('refuses what is not an image URI', () => {
    expect(() => parseImageUri('video-recommender')).toThrow(
      /^--image must look like registry\/repository:tag/,
    );
  });
});

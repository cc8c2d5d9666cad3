/**
 * The small known model every serving test uses (2 factors, hand-checkable; exact binary fractions so
 * dot products are exact):
 *
 * | video | factors      | popularity | metadata                                   |
 * |-------|--------------|------------|--------------------------------------------|
 * | v001  | (1, 0)       | 5          | Intro to TypeScript, en, [code, ts], 300 s |
 * | v002  | (0, 1)       | 3          | Cooking pasta, it, [food], 600 s           |
 * | v003  | (0.5, 0.5)   | 4          | Code and cook, en, [code, food], 450 s     |
 * | v004  | (1, 0.5)     | 1          | Advanced TypeScript, en, [code, ts], 900 s |
 * | v005  | (0.25, 1)    | 2          | Pizza at home, it, [food], 420 s           |
 * | v006  | (-0.5, 0.25) | 0          | (none)                                     |
 *
 * u001 = (1, 0.5) watched v001: scores v004 1.25, v003 0.75, v005 0.75 (tie: lower index first),
 * v002 0.5, v006 -0.375. u002 = (0, 1) watched v002, v005. u003 = (0.5, -0.5) watched nothing.
 * Similar users of u001 (cosine): u002 1/√5 ≈ 0.4472, u003 1/√10 ≈ 0.3162.
 *
 * v007 (Street food in Rome, it, [food, travel]) is in the metadata only (a cold video): similar by
 * metadata (Jaccard of tags + language) v002 2/3, v005 2/3 (tie: the more popular first), v003 1/5.
 * @module
 */
import { type EncodedArtifact, encodeModel } from '../../src/artifact/index.js';
import type { AlsParams, ModelData } from '../../src/core/model-data.js';
import type { Recommender, ScoringOptions } from '../../src/recommender/index.js';
import { handleFromArtifact, type ModelHandle, openModel } from '../../src/serving/index.js';

/** Training params recorded in the fixture manifest (alpha/regularization drive fold-in). */
export const FIXTURE_PARAMS: AlsParams = {
  factors: 2,
  regularization: 0.1,
  alpha: 1,
  iterations: 1,
  cgSteps: 3,
  threads: 1,
  seed: 42,
};

/** The fixture's ModelData (fresh arrays on every call, safe to mutate). */
export function fixtureModelData(): ModelData {
  return {
    factors: 2,
    userIds: ['u001', 'u002', 'u003'],
    videoIds: ['v001', 'v002', 'v003', 'v004', 'v005', 'v006'],
    userFactors: Float32Array.of(1, 0.5, 0, 1, 0.5, -0.5),
    itemFactors: Float32Array.of(1, 0, 0, 1, 0.5, 0.5, 1, 0.5, 0.25, 1, -0.5, 0.25),
    seen: {
      rows: 3,
      cols: 6,
      indptr: Int32Array.of(0, 1, 3, 3),
      indices: Int32Array.of(0, 1, 4),
      data: Float32Array.of(2, 1, 3),
    },
    popularity: Float32Array.of(5, 3, 4, 1, 2, 0),
    metadata: [
      { title: 'Intro to TypeScript', language: 'en', tags: ['code', 'ts'], lengthSeconds: 300 },
      { title: 'Cooking pasta', language: 'it', tags: ['food'], lengthSeconds: 600 },
      { title: 'Code and cook', language: 'en', tags: ['code', 'food'], lengthSeconds: 450 },
      { title: 'Advanced TypeScript', language: 'en', tags: ['code', 'ts'], lengthSeconds: 900 },
      { title: 'Pizza at home', language: 'it', tags: ['food'], lengthSeconds: 420 },
      null,
    ],
    coldVideos: {
      ids: ['v007'],
      metadata: [
        { title: 'Street food in Rome', language: 'it', tags: ['food', 'travel'], lengthSeconds: 540 },
      ],
    },
  };
}

/** A model as a publishable artifact with a fixed creation time, so its version id is stable. */
export function artifactOf(
  model: ModelData,
  params: AlsParams = { ...FIXTURE_PARAMS, factors: model.factors },
): EncodedArtifact {
  return encodeModel(model, {
    params,
    datasetDigest: 'test-fixture',
    metrics: {},
    createdAt: new Date('2025-01-01T00:00:00.000Z'),
  });
}

/** The fixture as a publishable artifact. */
export function fixtureArtifact(): EncodedArtifact {
  return artifactOf(fixtureModelData(), FIXTURE_PARAMS);
}

/** A handle over a model, as a server would hold it after loading. */
export function handleOf(model: ModelData = fixtureModelData()): ModelHandle {
  return handleFromArtifact(artifactOf(model));
}

/** A recommender over a model (the fixture by default), opened as a request thread opens it. */
export function recommenderOf(
  model: ModelData = fixtureModelData(),
  scoring: ScoringOptions = {},
): Recommender {
  return openModel(handleOf(model), {
    slot: 0,
    scoring,
    userCacheBytes: 1 << 20,
    sourceFor: () => {
      throw new Error('in-memory models read no files');
    },
  });
}

/** A recommender over the fixture. */
export function fixtureRecommender(): Recommender {
  return recommenderOf();
}

/** The version id `/ping` reports for the fixture. */
export const FIXTURE_VERSION: string = fixtureArtifact().manifest.version;

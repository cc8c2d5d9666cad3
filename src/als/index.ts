/**
 * Implicit-feedback ALS: training (conjugate gradient, float32, seeded, worker threads), fold-in of
 * a user the model has not seen (exact solve) and its explanation, the Gram matrix both use, and the
 * BM25 / TF-IDF confidence weighting.
 * @module
 */
export { type Contribution, type Explainer, explainUser, foldInUser } from './fold-in.js';
export { gramMatrix } from './gram.js';
export {
  ALS_DEFAULTS,
  type AlsResult,
  type AlsStart,
  type IterationInfo,
  type TrainHooks,
  trainAls,
} from './train.js';
export {
  BM25_DEFAULTS,
  type FittedWeighting,
  fitWeighting,
  userIdf,
  WEIGHTING_SCHEMES,
  type Weighting,
  type WeightingScheme,
  weightingOf,
  weightMatrix,
  weightRow,
  weightValue,
} from './weighting.js';

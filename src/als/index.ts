/**
 * Implicit-feedback ALS: training (conjugate gradient, float32, seeded, worker threads) and fold-in of
 * a user the model has not seen (exact solve), with the Gram matrix both use.
 * @module
 */
export { foldInUser } from './fold-in.js';
export { gramMatrix } from './gram.js';
export {
  ALS_DEFAULTS,
  type AlsResult,
  type AlsStart,
  type IterationInfo,
  type TrainHooks,
  trainAls,
} from './train.js';

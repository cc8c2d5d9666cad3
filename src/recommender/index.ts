/**
 * The recommender over one loaded model, and the user side it reads users from.
 * @module
 */
export {
  createRecommender,
  type MetadataFilter,
  type Recommender,
  type RecommendOptions,
  type RecommendResult,
  type ScoredVideo,
  type ScoringOptions,
  type SelectionOptions,
  type ServingModel,
  type SimilarUser,
  type UserRecommendations,
  type WatchedVideo,
} from './recommender.js';
export {
  type BlockReader,
  type LazyUserSideOptions,
  type ListDirectory,
  lazyUserSide,
  memoryUserSide,
  type UserSide,
} from './user-side.js';

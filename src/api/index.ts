/**
 * The API layer: the route table, the zod schemas of every request and response, the transport-free
 * service functions behind the routes, and the OpenAPI description made from them.
 * @module
 */
export { type AnswerCounts, answerCounts, NO_ANSWERS } from './answer-counts.js';
export {
  type ExecutionParameters,
  executionParameters,
  executionParametersSchema,
} from './execution-parameters.js';
export { type OpenApiOptions, openApiDocument } from './openapi.js';
export {
  type Example,
  ROUTES,
  type Route,
  type RouteAnswer,
  type RouteContext,
  type RouteInput,
  routeById,
  type Target,
} from './routes.js';
export {
  type BatchResponse,
  createSchemas,
  fieldPath,
  type InvocationResponse,
  kRule,
  type PingResponse,
  parseOrThrow,
  type RecommendRequest,
  type RecommendResponse,
  type Schemas,
  schemasFor,
} from './schemas.js';
export {
  answerEach,
  answerJsonLines,
  type BatchItem,
  errorItem,
  forbiddenKey,
  invoke,
  parseJsonBody,
  recommend,
  type ServiceEnv,
  similarVideos,
  userRecommendations,
} from './service.js';

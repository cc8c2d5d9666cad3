/**
 * The transport-free service: every answer of both serving targets comes from these functions. Each
 * takes the current recommender and an unvalidated body, path or query; it returns a plain response
 * object or throws a RecommenderError that the HTTP kit maps to a status once for both targets.
 * (adapter) -> route table -> service -> recommender -> ranking
 * @module
 */
import { type ErrorBody, InvalidRequestError, RecommenderError, toErrorResponse } from '../core/errors.js';
import { DEFAULT_K, type Limits, MAX_ID_LENGTH } from '../core/limits.js';
import type { Log } from '../core/log.js';
import type { Recommender, RecommendResult } from '../recommender/index.js';
import { flag, queryToRequest } from './rest-query.js';
import {
  type InvocationResponse,
  parseOrThrow,
  type RecommendRequest,
  type RecommendResponse,
  type SimilarUsersResponse,
  schemasFor,
} from './schemas.js';

/** What every service call needs besides the model: the limits from config, and a log for hidden failures. */
export interface ServiceEnv {
  limits: Limits;
  /** where failures of single batch items that are not RecommenderErrors are logged */
  log?: Log | undefined;
}

/** One answer inside `{"responses":[...]}` or a JSON Lines output line. */
export type BatchItem = RecommendResponse | SimilarUsersResponse | ErrorBody;

/** What one (non-batch) request answers. */
export type OneResponse = RecommendResponse | SimilarUsersResponse;

function isBatch(body: unknown): boolean {
  return typeof body === 'object' && body !== null && !Array.isArray(body) && 'requests' in body;
}

/**
 * The original's body `{"user_id": string, "k"?: integer}` when it is valid, checked by hand: the
 * zod parse cost about 5% of a request under load. Exactly what the schema would output (user_id
 * trimmed, 1..256 characters; k an integer in 1..maxK, default 5); anything else, every invalid body
 * included, returns undefined and goes through zod, so errors keep their single source.
 */
function plainUserRequest(body: unknown, maxK: number): RecommendRequest | undefined {
  if (typeof body !== 'object' || body === null || Object.getPrototypeOf(body) !== Object.prototype)
    return undefined;
  let userId: unknown;
  let k: unknown;
  for (const key in body) {
    if (key === 'user_id') userId = (body as { user_id: unknown }).user_id;
    else if (key === 'k') k = (body as { k: unknown }).k;
    else return undefined;
  }
  if (typeof userId !== 'string') return undefined;
  const trimmed = userId.trim();
  if (trimmed.length < 1 || trimmed.length > MAX_ID_LENGTH) return undefined;
  if (k === undefined) return { user_id: trimmed, k: DEFAULT_K };
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > maxK) return undefined;
  return { user_id: trimmed, k };
}

async function answer(model: Recommender, request: RecommendRequest): Promise<OneResponse> {
  if (request.similar_users && request.user_id !== undefined) {
    const similarUsers = await model.similarUsers(request.user_id, { k: request.k });
    return { userId: request.user_id, similarUsers };
  }
  const options = {
    k: request.k,
    exclude: request.exclude,
    allow: request.allow,
    filter: request.filter,
    includeMetadata: request.include_metadata,
    keepWatched: request.keep_watched,
    fallback: request.fallback,
    explain: request.explain,
  };
  if (request.video_id !== undefined) {
    const result = model.similarVideos(request.video_id, options);
    const response: RecommendResponse = { videoId: request.video_id, recommendations: result.items };
    if (result.source === 'metadata') response.source = 'metadata';
    return response;
  }
  const watched = request.watched?.map((w) =>
    typeof w === 'string' ? { videoId: w } : { videoId: w.video_id, weight: w.weight },
  );
  const result: RecommendResult = watched
    ? model.recommendFromWatched(watched, options)
    : await model.recommendForUser(request.user_id as string, options);
  // Key order matters to clients diffing against the original: userId, recommendations, source.
  const response: RecommendResponse =
    request.user_id !== undefined
      ? { userId: request.user_id, recommendations: result.items }
      : { recommendations: result.items };
  if (result.source === 'popular' || result.source === 'fold-in') response.source = result.source;
  return response;
}

/**
 * One recommendation request (never a batch): for a known user, a watched list (fold-in), or a video.
 * @example
 * await recommend(rec, { watched: ['v001', { video_id: 'v002', weight: 3 }], k: 2 }, env); // source: 'fold-in'
 */
export async function recommend(rec: Recommender, body: unknown, env: ServiceEnv): Promise<OneResponse> {
  const request =
    plainUserRequest(body, env.limits.maxK) ?? parseOrThrow(schemasFor(env.limits).recommendRequest, body);
  return answer(rec, request);
}

/** The error body of one failed batch item; non-RecommenderErrors are logged and hidden as INTERNAL. */
export function errorItem(error: unknown, log: Log | undefined, index: number): ErrorBody {
  if (!(error instanceof RecommenderError)) log?.error('batch item failed', { index, error });
  return toErrorResponse(error).body;
}

/**
 * Answers each request on its own, concurrently (users read on demand are fetched in parallel): a
 * response, or `{"error":{"code","message"}}` for that item.
 */
export function answerEach(
  rec: Recommender,
  requests: readonly unknown[],
  env: ServiceEnv,
): Promise<BatchItem[]> {
  return Promise.all(
    requests.map((request, index) =>
      recommend(rec, request, env).catch((error: unknown) => errorItem(error, env.log, index)),
    ),
  );
}

/**
 * `POST /invocations` and `POST /recommendations`: one request (the original's `{"user_id","k"}` and
 * the additive fields) or a batch `{"requests":[...]}` answered as `{"responses":[...]}`.
 * @param body - the parsed JSON body, unvalidated
 * @example
 * await invoke(rec, { user_id: 'u001', k: 3 }, env); // { userId: 'u001', recommendations: [{ videoId: 'v005', score: 0.91 }, ...] }
 */
export async function invoke(rec: Recommender, body: unknown, env: ServiceEnv): Promise<InvocationResponse> {
  if (!isBatch(body)) return recommend(rec, body, env);
  const { requests } = parseOrThrow(schemasFor(env.limits).batchEnvelope, body);
  return { responses: await answerEach(rec, requests, env) };
}

/**
 * SageMaker Batch Transform's `application/jsonlines`: one request per non-blank line (1..maxBatch
 * lines), one answer per line; a malformed line gets an INVALID_REQUEST item of its own.
 */
export async function answerJsonLines(rec: Recommender, text: string, env: ServiceEnv): Promise<BatchItem[]> {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  const { maxBatch } = env.limits;
  if (lines.length === 0 || lines.length > maxBatch) {
    const rule = `must have between 1 and ${maxBatch} non-blank lines`;
    throw new InvalidRequestError(`Invalid request: body ${rule}`, [{ field: 'body', message: rule }]);
  }
  return Promise.all(
    lines.map(async (line, index) => {
      try {
        return await recommend(rec, parseJsonBody(line), env);
      } catch (error) {
        return errorItem(error, env.log, index);
      }
    }),
  );
}

function refuseProtoKeys(key: string, value: unknown): unknown {
  if (
    key === '__proto__' ||
    (key === 'constructor' &&
      typeof value === 'object' &&
      value !== null &&
      Object.hasOwn(value, 'prototype'))
  ) {
    throw forbiddenKey(key);
  }
  return value;
}

/** The one 400 for a body key that could reach a prototype (both targets). */
export function forbiddenKey(key: string): InvalidRequestError {
  const rule = `must not contain the key ${JSON.stringify(key)}`;
  return new InvalidRequestError(`Invalid request: body ${rule}`, [{ field: 'body', message: rule }]);
}

/**
 * Parses a request body as JSON, or throws InvalidRequestError (400) naming `body`.
 * Both targets use it so malformed JSON gets the same answer everywhere.
 */
export function parseJsonBody(text: string): unknown {
  try {
    // Same rule as @middy/http-json-body-parser on Lambda: keys that could reach a prototype are refused.
    return text.includes('__proto__') || text.includes('constructor')
      ? JSON.parse(text, refuseProtoKeys)
      : JSON.parse(text);
  } catch (error) {
    if (error instanceof InvalidRequestError) throw error;
    throw new InvalidRequestError(
      'Invalid request: body must be valid JSON',
      [{ field: 'body', message: 'must be valid JSON' }],
      {
        cause: error,
      },
    );
  }
}

/**
 * `GET /users/{userId}/recommendations?k=&fallback=&exclude=a,b&allow=&keep_watched=&include_metadata=&language=&tags=`
 * @param userId - the decoded path parameter
 * @param query - query string parameters (strings; null or undefined when none)
 */
export async function userRecommendations(
  rec: Recommender,
  userId: unknown,
  query: unknown,
  env: ServiceEnv,
): Promise<OneResponse> {
  const s = schemasFor(env.limits);
  const path = parseOrThrow(s.userPath, { userId });
  const q = parseOrThrow(s.userQuery, query ?? {});
  return recommend(
    rec,
    {
      ...queryToRequest(q),
      user_id: path.userId,
      ...(q.fallback !== undefined && { fallback: q.fallback }),
      ...(q.keep_watched !== undefined && { keep_watched: flag(q.keep_watched) }),
      ...(q.explain !== undefined && { explain: flag(q.explain) }),
    },
    env,
  );
}

/**
 * `GET /users/{userId}/similar?k=`: the users most similar to a user (cosine of user factors).
 * @example
 * await similarUsersOf(rec, 'u001', { k: '2' }, env); // { userId: 'u001', similarUsers: [{ userId: 'u002', score: 0.45 }, ...] }
 */
export async function similarUsersOf(
  rec: Recommender,
  userId: unknown,
  query: unknown,
  env: ServiceEnv,
): Promise<OneResponse> {
  const s = schemasFor(env.limits);
  const path = parseOrThrow(s.userPath, { userId });
  const q = parseOrThrow(s.similarUsersQuery, query ?? {});
  return recommend(rec, { ...queryToRequest(q), user_id: path.userId, similar_users: true }, env);
}

/**
 * `GET /videos/{videoId}/similar?k=&exclude=&allow=&include_metadata=&language=&tags=`
 * @example
 * await similarVideos(rec, 'v001', { k: '2' }, env); // { videoId: 'v001', recommendations: [...] }
 */
export async function similarVideos(
  rec: Recommender,
  videoId: unknown,
  query: unknown,
  env: ServiceEnv,
): Promise<OneResponse> {
  const s = schemasFor(env.limits);
  const path = parseOrThrow(s.videoPath, { videoId });
  return recommend(
    rec,
    { ...queryToRequest(parseOrThrow(s.similarQuery, query ?? {})), video_id: path.videoId },
    env,
  );
}

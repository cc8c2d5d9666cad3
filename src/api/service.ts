/**
 * The transport-free service: every answer of both serving targets comes from these functions.
 * Each takes the current recommender (undefined before a model is loaded -> ModelNotLoadedError, 503)
 * and an unvalidated body, path or query; it returns a plain response object or throws a
 * RecommenderError that the target maps to HTTP with `toErrorResponse`.
 * (adapter) -> service -> recommender -> top-k
 * @module
 */
import {
  type ErrorBody,
  InvalidRequestError,
  ModelNotLoadedError,
  RecommenderError,
  TransportError,
  toErrorResponse,
} from '../core/errors.js';
import type { Log } from '../core/log.js';
import type { Recommender, RecommendResult } from '../recommender/recommender.js';
import { flag, queryToRequest } from './rest-query.js';
import {
  createSchemas,
  type InvocationResponse,
  type Limits,
  type PingResponse,
  parseOrThrow,
  type RecommendRequest,
  type RecommendResponse,
  type Schemas,
} from './schemas.js';

/** Optional collaborators of the service functions. */
export interface ServiceOptions {
  /** where failures of single batch items that are not RecommenderErrors are logged */
  log?: Log | undefined;
}

/** One answer inside `{"responses":[...]}` or a JSON Lines output line. */
export type BatchItem = RecommendResponse | ErrorBody;

const schemaCache = new Map<string, Schemas>();
function schemasFor(limits: Limits): Schemas {
  const key = `${limits.maxK}/${limits.maxBatch}`;
  let found = schemaCache.get(key);
  if (!found) {
    found = createSchemas(limits);
    schemaCache.set(key, found);
  }
  return found;
}

function requireModel(rec: Recommender | undefined): Recommender {
  if (!rec) throw new ModelNotLoadedError();
  return rec;
}

function isBatch(body: unknown): boolean {
  return typeof body === 'object' && body !== null && !Array.isArray(body) && 'requests' in body;
}

/**
 * `GET /ping`: the loaded model's version, or ModelNotLoadedError (503) before one is loaded.
 * @example
 * ping(store.current()); // { status: 'ok', modelVersion: '20250101T102000Z-1a2b3c4d' }
 */
export function ping(rec: Recommender | undefined): PingResponse {
  return { status: 'ok', modelVersion: requireModel(rec).version };
}

/**
 * `POST /invocations`: one request (the original's `{"user_id","k"}` and the additive fields) or a
 * batch `{"requests":[...]}` answered as `{"responses":[...]}`, each item answered or failed on its own.
 * @param rec - current recommender, undefined before a model is loaded
 * @param body - the parsed JSON body, unvalidated
 * @example
 * invoke(rec, { user_id: 'u001', k: 3 }); // { userId: 'u001', recommendations: [{ videoId: 'v005', score: 0.91 }, ...] }
 */
export function invoke(
  rec: Recommender | undefined,
  body: unknown,
  options: ServiceOptions = {},
): InvocationResponse {
  const model = requireModel(rec);
  if (!isBatch(body)) return recommend(model, body);
  const { requests } = parseOrThrow(schemasFor(model.limits).batchEnvelope, body);
  return { responses: answerEach(model, requests, options) };
}

/**
 * One recommendation request (never a batch): for a known user, a watched list (fold-in), or a video.
 * @example
 * recommend(rec, { watched: ['v001', { video_id: 'v002', weight: 3 }], k: 2 }); // source: 'fold-in'
 */
export function recommend(rec: Recommender | undefined, body: unknown): RecommendResponse {
  const model = requireModel(rec);
  const request =
    plainUserRequest(body, model.limits.maxK) ??
    parseOrThrow(schemasFor(model.limits).recommendRequest, body);
  return answer(model, request);
}

/**
 * The original's body `{"user_id": string, "k"?: integer}` when it is valid, checked by hand: the
 * zod parse cost about 5% of a request under load. Exactly what the schema would output (user_id
 * trimmed, 1..256 characters; k an integer in 1..maxK); anything else, every invalid body included,
 * returns undefined and goes through zod, so errors keep their single source.
 */
function plainUserRequest(body: unknown, maxK: number): RecommendRequest | undefined {
  if (typeof body !== 'object' || body === null || Object.getPrototypeOf(body) !== Object.prototype) {
    return undefined;
  }
  let userId: unknown;
  let k: unknown;
  for (const key in body) {
    if (key === 'user_id') userId = (body as { user_id: unknown }).user_id;
    else if (key === 'k') k = (body as { k: unknown }).k;
    else return undefined;
  }
  if (typeof userId !== 'string') return undefined;
  const trimmed = userId.trim();
  if (trimmed.length < 1 || trimmed.length > 256) return undefined;
  if (k === undefined) return { user_id: trimmed };
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > maxK) return undefined;
  return { user_id: trimmed, k };
}

/**
 * Answers each request on its own: a response, or `{"error":{"code","message"}}` for that item.
 * Unexpected failures become INTERNAL items and are logged, never shown.
 */
export function answerEach(
  rec: Recommender | undefined,
  requests: readonly unknown[],
  options: ServiceOptions = {},
): BatchItem[] {
  const model = requireModel(rec);
  return requests.map((request, index) => {
    try {
      return recommend(model, request);
    } catch (error) {
      return errorItem(error, { ...options, index });
    }
  });
}

/**
 * SageMaker Batch Transform's `application/jsonlines`: one request per non-blank line (1..maxBatch
 * lines), one answer per line; a malformed line gets an INVALID_REQUEST item of its own.
 */
export function answerJsonLines(
  rec: Recommender | undefined,
  text: string,
  options: ServiceOptions = {},
): BatchItem[] {
  const model = requireModel(rec);
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  const { maxBatch } = model.limits;
  if (lines.length === 0 || lines.length > maxBatch) {
    const rule = `must have between 1 and ${maxBatch} non-blank lines`;
    throw new InvalidRequestError(`Invalid request: body ${rule}`, [{ field: 'body', message: rule }]);
  }
  return lines.map((line, index) => {
    try {
      return recommend(model, parseJsonBody(line));
    } catch (error) {
      return errorItem(error, { ...options, index });
    }
  });
}

const MALFORMED_ESCAPE = 'must be a valid percent-encoded UTF-8 path segment';

/**
 * Decodes a path parameter as the client spelled it (API Gateway REST passes escapes through).
 * @throws InvalidRequestError naming the parameter when an escape is malformed, on both targets
 */
export function decodePathParameter(raw: string, name: string): string {
  try {
    return decodeURIComponent(raw);
  } catch (error) {
    throw malformedPathParameter(name, error);
  }
}

/** The one 400 for a path parameter whose percent-escapes do not decode. */
export function malformedPathParameter(name: string, cause?: unknown): InvalidRequestError {
  return new InvalidRequestError(
    `Invalid request: ${name} ${MALFORMED_ESCAPE}`,
    [{ field: name, message: MALFORMED_ESCAPE }],
    {
      cause,
    },
  );
}

/**
 * `GET /users/{userId}/recommendations?k=&fallback=&exclude=a,b&allow=&keep_watched=&include_metadata=&language=&tags=`
 * @param userId - the path parameter
 * @param query - query string parameters (strings; null or undefined when none)
 */
export function recommendForUser(
  rec: Recommender | undefined,
  userId: unknown,
  query?: unknown,
): RecommendResponse {
  const model = requireModel(rec);
  const s = schemasFor(model.limits);
  const path = parseOrThrow(s.userPath, { userId });
  const q = parseOrThrow(s.userQuery, query ?? {});
  return recommend(model, {
    ...queryToRequest(q),
    user_id: path.userId,
    ...(q.fallback !== undefined && { fallback: q.fallback }),
    ...(q.keep_watched !== undefined && { keep_watched: flag(q.keep_watched) }),
  });
}

/**
 * `GET /videos/{videoId}/similar?k=&exclude=&allow=&include_metadata=&language=&tags=`
 * @example
 * similarVideos(rec, 'v001', { k: '2' }); // { videoId: 'v001', recommendations: [...] }
 */
export function similarVideos(
  rec: Recommender | undefined,
  videoId: unknown,
  query?: unknown,
): RecommendResponse {
  const model = requireModel(rec);
  const s = schemasFor(model.limits);
  const path = parseOrThrow(s.videoPath, { videoId });
  return recommend(model, {
    ...queryToRequest(parseOrThrow(s.similarQuery, query ?? {})),
    video_id: path.videoId,
  });
}

/**
 * Parses a request body as JSON, or throws InvalidRequestError (400) naming `body`.
 * Both targets use it so malformed JSON gets the same answer everywhere.
 */
export function parseJsonBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
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
 * Checks a Content-Type header against the accepted media types (parameters such as charset ignored;
 * a missing header counts as JSON, as the original accepted). Throws TransportError 415 otherwise.
 * @returns the accepted media type, lower-cased
 */
export function requireContentType(
  contentType: string | undefined,
  accepted: readonly string[] = ['application/json'],
): string {
  const media = (contentType ?? '').split(';')[0]?.trim().toLowerCase() || 'application/json';
  if (accepted.includes(media)) return media;
  // The message leaves out the accepted list so both targets (which accept different types) agree.
  throw new TransportError('UNSUPPORTED_MEDIA_TYPE', `Unsupported Content-Type: ${media}`);
}

/** The error body of one failed batch item; non-RecommenderErrors are logged and hidden as INTERNAL. */
export function errorItem(error: unknown, options: ServiceOptions & { index?: number } = {}): ErrorBody {
  if (!(error instanceof RecommenderError))
    options.log?.error('batch item failed', { index: options.index, error });
  return toErrorResponse(error).body;
}

function answer(model: Recommender, request: RecommendRequest): RecommendResponse {
  const options = {
    k: request.k,
    exclude: request.exclude,
    allow: request.allow,
    filter: request.filter,
    includeMetadata: request.include_metadata,
    keepWatched: request.keep_watched,
    fallback: request.fallback,
  };
  if (request.video_id !== undefined) {
    const result = model.similarVideos(request.video_id, options);
    return { videoId: request.video_id, recommendations: result.items };
  }
  const watched = request.watched?.map((w) =>
    typeof w === 'string' ? { videoId: w } : { videoId: w.video_id, weight: w.weight },
  );
  const result: RecommendResult = watched
    ? model.recommendFromWatched(watched, options)
    : model.recommendForUser(request.user_id as string, options);
  // Key order matters to clients diffing against the original: userId, recommendations, source.
  const response: RecommendResponse =
    request.user_id !== undefined
      ? { userId: request.user_id, recommendations: result.items }
      : { recommendations: result.items };
  if (result.source === 'popular' || result.source === 'fold-in') response.source = result.source;
  return response;
}

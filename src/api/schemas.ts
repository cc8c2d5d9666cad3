/**
 * Every request and response of the API as zod schemas: the single source of the types, the 400
 * messages that name a field and its rule, and the JSON Schemas of the OpenAPI description.
 * The original request `{"user_id","k"}` and response `{"userId","recommendations":[{"videoId","score"}]}`
 * are kept exactly; every other field is optional and additive. Bounds come from src/core/limits.ts.
 * @module
 */
import { z } from 'zod';
import { ERROR_STATUS, type FieldIssue, InvalidRequestError } from '../core/errors.js';
import {
  DEFAULT_K,
  DEFAULT_LIMITS,
  EXPLAIN_TOP,
  type Limits,
  MAX_ID_LENGTH,
  MAX_ID_LIST,
} from '../core/limits.js';

const id = (what: string) => z.string().trim().min(1).max(MAX_ID_LENGTH).describe(what);
const idList = (what: string) => z.array(id('video id')).max(MAX_ID_LIST).describe(what);

/** The rule of `k` as a client reads it. */
export const kRule = (maxK: number): string => `must be an integer between 1 and ${maxK}`;

function kSchema(maxK: number) {
  const error = kRule(maxK);
  return z
    .number({ error })
    .int({ error })
    .min(1, { error })
    .max(maxK, { error })
    .describe('how many videos to return');
}

const watchedItem = z.union(
  [
    id('video id'),
    z.object({
      video_id: id('video id'),
      weight: z
        .number()
        .positive()
        .max(1e6)
        .optional()
        .describe('interaction value, like training data (default 1)'),
    }),
  ],
  { error: 'must be a video id or {"video_id": string, "weight": positive number}' },
);

const filter = z
  .object({
    language: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1)], {
        error: 'must be a language or a non-empty list of languages',
      })
      .optional()
      .describe('keep videos in this language (or any of these), case-insensitive'),
    tags: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('keep videos carrying at least one of these tags'),
  })
  .describe('metadata filter applied before top-k');

/** The fields a similar-users request may carry besides user_id and k. */
const SIMILAR_USERS_FIELDS = ['user_id', 'k', 'similar_users'];

/** `similar_users` takes user_id (required) and k only. */
function refineSimilarUsers(value: Record<string, unknown>, ctx: z.core.$RefinementCtx): void {
  if (value.user_id === undefined) {
    ctx.addIssue({ code: 'custom', path: ['user_id'], message: 'is required with similar_users' });
    return;
  }
  const extra = Object.keys(value).find(
    (key) => !SIMILAR_USERS_FIELDS.includes(key) && value[key] !== undefined,
  );
  if (extra)
    ctx.addIssue({ code: 'custom', path: [extra], message: 'cannot be combined with similar_users' });
}

function recommendRequestSchema(maxK: number) {
  return z
    .object({
      user_id: id('user to recommend for (the original request)').optional(),
      k: kSchema(maxK).default(DEFAULT_K),
      video_id: id('find videos similar to this one').optional(),
      watched: z
        .array(watchedItem)
        .min(1)
        .max(MAX_ID_LIST)
        .optional()
        .describe('recently watched videos of a user the model has not seen (fold-in)'),
      fallback: z.enum(['none', 'popular']).optional().describe('what an unknown user gets (default: 404)'),
      exclude: idList('never return these videos').optional(),
      allow: idList('only return videos from this list').optional(),
      keep_watched: z.boolean().optional().describe('also return videos the user already watched'),
      filter: filter.optional(),
      include_metadata: z.boolean().optional().describe('add title, tags, language, lengthSeconds'),
      explain: z
        .boolean()
        .optional()
        .describe(
          `add "because" to each recommendation: the ${EXPLAIN_TOP} watched videos that contributed most to its score (implicit's explain)`,
        ),
      similar_users: z
        .boolean()
        .optional()
        .describe('answer the users most similar to user_id (cosine of user factors) instead of videos'),
    })
    .superRefine((value, ctx) => {
      if (value.similar_users) refineSimilarUsers(value, ctx);
      else if (value.explain && value.video_id !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['explain'],
          message: 'applies to user_id or watched, not video_id',
        });
      } else if (
        value.video_id !== undefined &&
        (value.user_id !== undefined || value.watched !== undefined)
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['video_id'],
          message: 'cannot be combined with user_id or watched',
        });
      } else if (value.user_id === undefined && value.video_id === undefined && value.watched === undefined) {
        ctx.addIssue({ code: 'custom', path: ['user_id'], message: 'is required' });
      }
    })
    .describe('One recommendation request: for a user, from a watched list, or similar to a video');
}

const recommendation = z.object({
  videoId: z.string(),
  score: z.number(),
  title: z.string().optional(),
  tags: z.array(z.string()).optional(),
  language: z.string().optional(),
  lengthSeconds: z.number().optional(),
  because: z
    .array(z.object({ videoId: z.string(), contribution: z.number() }))
    .optional()
    .describe(
      "with explain: watched videos and their share of the score, largest first (implicit's explain; the shares of all watched videos sum to the score of the exact user solve)",
    ),
});

const similarUsersResponse = z.object({
  userId: z.string().describe('echoes user_id'),
  similarUsers: z
    .array(z.object({ userId: z.string(), score: z.number().describe('cosine similarity of user factors') }))
    .describe('the most similar users, best first, the user left out'),
});

const recommendResponse = z.object({
  userId: z.string().optional().describe('echoes user_id'),
  videoId: z.string().optional().describe('echoes video_id of a similar-videos request'),
  recommendations: z.array(recommendation),
  source: z
    .enum(['popular', 'fold-in', 'metadata'])
    .optional()
    .describe(
      'present only when not the trained factors: popular (fallback), fold-in (watched list), metadata (a video without interactions: shared tags and language)',
    ),
});

const errorBody = z.object({
  error: z.object({
    code: z.enum(Object.keys(ERROR_STATUS) as [keyof typeof ERROR_STATUS, ...(keyof typeof ERROR_STATUS)[]]),
    message: z.string(),
    issues: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  }),
});

const queryText = z.string().optional();
const similarQuery = z.object({
  k: queryText.describe('how many videos to return (default 5)'),
  exclude: queryText.describe('comma-separated video ids never to return'),
  allow: queryText.describe('comma-separated video ids to choose from'),
  include_metadata: queryText.describe('true to add title, tags, language, lengthSeconds'),
  language: queryText.describe('comma-separated languages to keep'),
  tags: queryText.describe('comma-separated tags; keep videos carrying any of them'),
});

/** The schemas with `k` and batch size bounded by `limits`. */
export function createSchemas(limits: Limits) {
  const recommendRequest = recommendRequestSchema(limits.maxK);
  return {
    recommendRequest,
    recommendResponse,
    similarUsersResponse,
    batchEnvelope: z.object({
      requests: z
        .array(z.unknown())
        .min(1)
        .max(limits.maxBatch)
        .describe('each item is a recommendation request'),
    }),
    batchRequest: z.object({ requests: z.array(recommendRequest).min(1).max(limits.maxBatch) }),
    batchResponse: z.object({
      responses: z.array(z.union([recommendResponse, similarUsersResponse, errorBody])),
    }),
    errorBody,
    pingResponse: z.object({ status: z.literal('ok'), modelVersion: z.string() }),
    // The examples fill /docs' "Try it out" (the fixture's and the sample's ids).
    userPath: z.object({ userId: id('user id').meta({ example: 'u001' }) }),
    videoPath: z.object({ videoId: id('video id').meta({ example: 'v001' }) }),
    similarQuery,
    userQuery: similarQuery.extend({
      fallback: queryText.describe('popular: unknown users get the most popular videos'),
      keep_watched: queryText.describe('true to also return videos the user already watched'),
      explain: queryText.describe('true to add "because": the watched videos that contributed most'),
    }),
    similarUsersQuery: z.object({ k: queryText.describe('how many users to return (default 5)') }),
  };
}

export type Schemas = ReturnType<typeof createSchemas>;

const schemaCache = new Map<string, Schemas>();
/** The schemas for `limits`, built once per distinct limits. */
export function schemasFor(limits: Limits = DEFAULT_LIMITS): Schemas {
  const key = `${limits.maxK}/${limits.maxBatch}`;
  let found = schemaCache.get(key);
  if (!found) {
    found = createSchemas(limits);
    schemaCache.set(key, found);
  }
  return found;
}

export type RecommendRequest = z.output<Schemas['recommendRequest']>;
export type RecommendResponse = z.infer<Schemas['recommendResponse']>;
export type SimilarUsersResponse = z.infer<Schemas['similarUsersResponse']>;
export type BatchResponse = z.infer<Schemas['batchResponse']>;
export type PingResponse = z.infer<Schemas['pingResponse']>;
/** What `/invocations` answers: one response, or `{"responses":[...]}` for a batch. */
export type InvocationResponse = RecommendResponse | SimilarUsersResponse | BatchResponse;

/**
 * Validates `input` against `schema`, or throws InvalidRequestError whose issues name each field
 * (`k`, `watched[0].video_id`, `body` for the whole value) and the rule it broke.
 * @example
 * const request = parseOrThrow(schemasFor(limits).recommendRequest, body);
 */
export function parseOrThrow<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const result = schema.safeParse(input, { error: ruleOf });
  if (result.success) return result.data;
  const issues: FieldIssue[] = result.error.issues.map((issue) => ({
    field: fieldPath(issue.path),
    message: issue.message,
  }));
  throw new InvalidRequestError(
    `Invalid request: ${issues.map((i) => `${i.field} ${i.message}`).join('; ')}`,
    issues,
  );
}

/** `['watched', 0, 'video_id']` -> `watched[0].video_id`; the empty path is the whole `body`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? 'body' : out;
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
};

function sizeRule(issue: z.core.$ZodRawIssue & { code: 'too_small' | 'too_big' }): string {
  const small = issue.code === 'too_small';
  const bound = small ? issue.minimum : issue.maximum;
  if (issue.origin === 'string') return small ? 'must not be empty' : `must be at most ${bound} characters`;
  if (issue.origin === 'array') {
    return small
      ? `must have at least ${bound} item${bound === 1 ? '' : 's'}`
      : `must have at most ${bound} items`;
  }
  if (small && issue.inclusive === false) return `must be greater than ${bound}`;
  return small ? `must be at least ${bound}` : `must be at most ${bound}`;
}

/** Turns zod's issue into the rule a client reads; schema-level messages (e.g. on `k`) take precedence. */
function ruleOf(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `must be ${TYPE_NAMES[issue.expected] ?? issue.expected}`;
    case 'too_small':
    case 'too_big':
      return sizeRule(issue);
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return undefined;
  }
}

/**
 * The closed set of errors every part of the service can raise, and their one HTTP status table.
 * The core never throws HTTP errors: each target maps these codes once, through {@link httpStatusOf}.
 * @module
 */

export const ERROR_STATUS = {
  INVALID_REQUEST: 400,
  UNKNOWN_USER: 404,
  UNKNOWN_VIDEO: 404,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  NOT_ACCEPTABLE: 406,
  MODEL_NOT_LOADED: 503,
  ARTIFACT_INVALID: 503,
  INPUT_INVALID: 400,
  CONFIG_INVALID: 500,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** One entry of a validation failure: the dotted field path and the rule it broke. */
export interface FieldIssue {
  field: string;
  message: string;
}

/** Options every error of the set takes. */
export interface RecommenderErrorOptions extends ErrorOptions {
  issues?: readonly FieldIssue[];
  /** show `message` to clients even for a 5xx: set only where it is built from safe parts */
  expose?: boolean;
}

/**
 * Base of every error we raise on purpose. `code` selects the HTTP status; `message` is shown to
 * clients for 4xx, and for 5xx only when `expose` says it carries no internals (locations, SDK text).
 */
export class RecommenderError extends Error {
  readonly code: ErrorCode;
  readonly issues: readonly FieldIssue[] | undefined;
  readonly expose: boolean;

  constructor(code: ErrorCode, message: string, options?: RecommenderErrorOptions) {
    super(message, options);
    this.name = 'RecommenderError';
    this.code = code;
    this.issues = options?.issues;
    this.expose = options?.expose ?? ERROR_STATUS[code] < 500;
  }
}

/** A request body, path or query failed validation; `issues` names each field and rule. */
export class InvalidRequestError extends RecommenderError {
  constructor(message: string, issues: readonly FieldIssue[] = [], options?: ErrorOptions) {
    super('INVALID_REQUEST', message, { ...options, issues });
    this.name = 'InvalidRequestError';
  }
}

export class UnknownUserError extends RecommenderError {
  constructor(readonly userId: string) {
    super('UNKNOWN_USER', `Unknown user: ${userId}`);
    this.name = 'UnknownUserError';
  }
}

export class UnknownVideoError extends RecommenderError {
  constructor(readonly videoIds: readonly string[]) {
    super('UNKNOWN_VIDEO', `Unknown video${videoIds.length > 1 ? 's' : ''}: ${videoIds.join(', ')}`);
    this.name = 'UnknownVideoError';
  }
}

/** Why a model could not be read: a client may be told the kind, never the details. */
export type NotLoadedReason = 'loading' | 'not-published' | 'not-found' | 'unreachable';

/** No model to answer with (503), or the model store could not be read. */
export class ModelNotLoadedError extends RecommenderError {
  readonly reason: NotLoadedReason;
  /** when the next attempt is due, for a `Retry-After` header */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    message = 'No model is loaded yet',
    options?: RecommenderErrorOptions & { reason?: NotLoadedReason; retryAfterSeconds?: number },
  ) {
    super('MODEL_NOT_LOADED', message, options);
    this.name = 'ModelNotLoadedError';
    this.reason = options?.reason ?? 'loading';
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}

/** A model artifact failed verification (sha256, format version, truncation, shape). Never served. */
export class ArtifactInvalidError extends RecommenderError {
  constructor(message: string, options?: ErrorOptions) {
    super('ARTIFACT_INVALID', message, options);
    this.name = 'ArtifactInvalidError';
  }
}

/** Training input (CSV rows, options) is unusable: message carries file and line numbers. */
export class InputInvalidError extends RecommenderError {
  constructor(message: string, options?: ErrorOptions) {
    super('INPUT_INVALID', message, options);
    this.name = 'InputInvalidError';
  }
}

/** An environment variable or option failed validation at start; message names it. */
export class ConfigInvalidError extends RecommenderError {
  constructor(message: string, options?: ErrorOptions) {
    super('CONFIG_INVALID', message, options);
    this.name = 'ConfigInvalidError';
  }
}

/** Transport-level rejections that adapters raise (size, content type, routing). */
export class TransportError extends RecommenderError {
  constructor(
    code:
      | 'PAYLOAD_TOO_LARGE'
      | 'UNSUPPORTED_MEDIA_TYPE'
      | 'NOT_ACCEPTABLE'
      | 'NOT_FOUND'
      | 'METHOD_NOT_ALLOWED',
    message: string,
    /** the methods a path allows, for the `Allow` header of a 405 */
    readonly allow?: string,
  ) {
    super(code, message);
    this.name = 'TransportError';
  }
}

/** The one 413 both targets raise, so their bodies agree. */
export function payloadTooLargeError(limitBytes: number): TransportError {
  return new TransportError('PAYLOAD_TOO_LARGE', `Request body is larger than ${limitBytes} bytes`);
}

/** What a client reads for a 5xx whose message is not exposed (the log has the details). */
const HIDDEN_MESSAGE: Partial<Record<ErrorCode, string>> = {
  MODEL_NOT_LOADED: 'The model is unavailable right now; try again',
  ARTIFACT_INVALID: 'The model is unavailable right now; try again',
};

export function httpStatusOf(code: ErrorCode): number {
  return ERROR_STATUS[code];
}

/** The JSON error body both targets return: `{"error":{"code","message"[,"issues"]}}`. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; issues?: FieldIssue[] };
}

/**
 * Turns anything thrown into a status and a body. Unknown errors become a 500 whose message never
 * carries internals (the caller logs the cause with the request id).
 */
export function toErrorResponse(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof RecommenderError) {
    const status = httpStatusOf(error.code);
    const message = error.expose ? error.message : (HIDDEN_MESSAGE[error.code] ?? 'Internal server error');
    const body: ErrorBody = { error: { code: error.code, message } };
    if (error.issues && error.issues.length > 0) body.error.issues = [...error.issues];
    return { status, body };
  }
  return { status: 500, body: { error: { code: 'INTERNAL', message: 'Internal server error' } } };
}

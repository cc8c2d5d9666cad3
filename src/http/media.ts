/**
 * Media types: which request bodies a route accepts (415 otherwise) and which response format an
 * `Accept` header selects (406 when none). JSON Lines is what SageMaker Batch Transform sends with
 * `SplitType=Line`.
 * @module
 */
import { TransportError } from '../core/errors.js';

export const JSON_TYPE = 'application/json';
export const JSON_LINES_TYPE = 'application/jsonlines';

/** The request and response formats `/invocations` speaks. */
export type InvocationFormat = typeof JSON_TYPE | typeof JSON_LINES_TYPE;

/** Aliases clients use for JSON Lines; answered as `application/jsonlines`. */
const JSON_LINES_ALIASES = [
  JSON_LINES_TYPE,
  'application/x-jsonlines',
  'application/jsonl',
  'application/x-ndjson',
];

/**
 * Checks a Content-Type header against the accepted media types (parameters such as charset ignored;
 * a missing header counts as JSON, as the original accepted).
 * @returns the accepted media type, lower-cased
 * @throws TransportError 415 otherwise
 */
export function requireContentType(
  contentType: string | undefined,
  accepted: readonly string[] = [JSON_TYPE],
): string {
  const media = (contentType ?? '').split(';')[0]?.trim().toLowerCase() || JSON_TYPE;
  if (accepted.includes(media)) return media;
  // The message leaves out the accepted list so routes accepting different types answer alike.
  throw new TransportError('UNSUPPORTED_MEDIA_TYPE', `Unsupported Content-Type: ${media}`);
}

const JSON_OR_LINES: readonly string[] = [JSON_TYPE, ...JSON_LINES_ALIASES];
const JSON_ONLY: readonly string[] = [JSON_TYPE];

/**
 * The request format from its Content-Type: JSON, or JSON Lines when `jsonLines` is accepted.
 * @throws TransportError 415 for anything else
 */
export function requestFormat(contentType: string | undefined, jsonLines = true): InvocationFormat {
  const media = requireContentType(contentType, jsonLines ? JSON_OR_LINES : JSON_ONLY);
  return media === JSON_TYPE ? JSON_TYPE : JSON_LINES_TYPE;
}

interface AcceptEntry {
  type: string;
  q: number;
  order: number;
}

function parseAccept(header: string): AcceptEntry[] {
  return header
    .split(',')
    .map((part, order) => {
      const [type = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
      const qParam = params.find((p) => p.startsWith('q='));
      const q = qParam === undefined ? 1 : Number(qParam.slice(2));
      return { type, q: Number.isFinite(q) ? q : 0, order };
    })
    .filter((e) => e.type !== '' && e.q > 0);
}

function matches(range: string, format: InvocationFormat): boolean {
  if (range === '*/*' || range === 'application/*') return true;
  if (format === JSON_LINES_TYPE) return JSON_LINES_ALIASES.includes(range);
  return range === format;
}

/**
 * The response format for an Accept header: the most preferred type we can produce; ties (and
 * wildcards, and a missing header) go to the request's own format.
 * @throws TransportError 406 when Accept names only types we cannot produce
 */
export function responseFormat(accept: string | undefined, requested: InvocationFormat): InvocationFormat {
  if (accept === undefined || accept.trim() === '') return requested;
  const entries = parseAccept(accept);
  const other: InvocationFormat = requested === JSON_TYPE ? JSON_LINES_TYPE : JSON_TYPE;
  const score = (format: InvocationFormat): { q: number; specific: boolean; order: number } => {
    let best = { q: 0, specific: false, order: Number.POSITIVE_INFINITY };
    for (const e of entries) {
      if (!matches(e.type, format)) continue;
      const specific = !e.type.endsWith('*');
      if (e.q > best.q || (e.q === best.q && specific && !best.specific))
        best = { q: e.q, specific, order: e.order };
    }
    return best;
  };
  const mine = score(requested);
  const theirs = score(other);
  if (mine.q === 0 && theirs.q === 0) {
    throw new TransportError(
      'NOT_ACCEPTABLE',
      `Not acceptable: ${accept} (this endpoint answers ${JSON_TYPE} or ${JSON_LINES_TYPE})`,
    );
  }
  if (theirs.q > mine.q || (theirs.q === mine.q && theirs.specific && !mine.specific)) return other;
  return requested;
}

/**
 * REST query strings (`?k=3&exclude=a,b&keep_watched=true`) mapped onto the body request fields.
 * @module
 */

const csv = (text: string | undefined): string[] | undefined =>
  text === undefined
    ? undefined
    : text
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');

/** `true`/`false` become booleans; anything else stays a string so the body schema names the field. */
export const flag = (text: string): boolean | string =>
  text === 'true' ? true : text === 'false' ? false : text;

/** Maps REST query parameters onto the body fields, so one schema validates both with the same field names. */
export function queryToRequest(q: {
  k?: string | undefined;
  exclude?: string | undefined;
  allow?: string | undefined;
  include_metadata?: string | undefined;
  language?: string | undefined;
  tags?: string | undefined;
}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (q.k !== undefined) out.k = /^\s*-?\d+\s*$/.test(q.k) ? Number(q.k) : q.k;
  if (q.exclude !== undefined) out.exclude = csv(q.exclude);
  if (q.allow !== undefined) out.allow = csv(q.allow);
  if (q.include_metadata !== undefined) out.include_metadata = flag(q.include_metadata);
  if (q.language !== undefined || q.tags !== undefined) {
    out.filter = {
      ...(q.language !== undefined && { language: csv(q.language) }),
      ...(q.tags !== undefined && { tags: csv(q.tags) }),
    };
  }
  return out;
}

/**
 * Inverted indexes over video metadata (language -> videos, tag -> videos), built with the artifact, so
 * a metadata filter becomes a short list of candidate rows before top-k instead of a scan per request.
 * Also the sorted-set algebra the recommender uses to combine filters, allow-lists and exclusions.
 * @module
 */
/** The filter a request may carry; strings compare case-insensitively. */
export interface MetadataFilter {
  /** keep videos in this language, or in any of these */
  language?: string | readonly string[] | undefined;
  /** keep videos carrying at least one of these tags */
  tags?: readonly string[] | undefined;
}

/**
 * Ascending video rows per lower-cased language and tag: the artifact's `metadata_index` (key ->
 * [start, count]) over its `metadata_postings`.
 */
export interface MetadataIndex {
  index: { language: Record<string, [number, number]>; tags: Record<string, [number, number]> };
  postings: Int32Array;
}

const EMPTY = new Int32Array(0);

function rowsOf(index: MetadataIndex, kind: 'language' | 'tags', key: string): Int32Array {
  const entry = Object.hasOwn(index.index[kind], key) ? index.index[kind][key] : undefined;
  return entry ? index.postings.subarray(entry[0], entry[0] + entry[1]) : EMPTY;
}

/** The ascending rows a filter keeps, or undefined when the filter keeps everything. */
export function filterRows(index: MetadataIndex, filter: MetadataFilter): Int32Array | undefined {
  let rows: Int32Array | undefined;
  if (filter.language !== undefined) {
    const wanted = typeof filter.language === 'string' ? [filter.language] : filter.language;
    rows = unionAll(wanted.map((l) => rowsOf(index, 'language', l.trim().toLowerCase())));
  }
  if (filter.tags !== undefined) {
    const tagged = unionAll(filter.tags.map((t) => rowsOf(index, 'tags', t.trim().toLowerCase())));
    rows = rows ? intersectSorted(rows, tagged) : tagged;
  }
  return rows;
}

/** Sorted, de-duplicated Int32Array of the given rows. */
export function sortedUnique(rows: Iterable<number>): Int32Array {
  const sorted = Int32Array.from(rows).sort();
  let n = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (i === 0 || sorted[i] !== sorted[i - 1]) sorted[n++] = sorted[i] as number;
  }
  return sorted.subarray(0, n);
}

/** Union of ascending arrays, ascending and de-duplicated. */
export function unionAll(lists: readonly Int32Array[]): Int32Array {
  if (lists.length === 1) return lists[0] as Int32Array;
  let total = 0;
  for (const list of lists) total += list.length;
  const all = new Int32Array(total);
  let at = 0;
  for (const list of lists) {
    all.set(list, at);
    at += list.length;
  }
  return sortedUnique(all);
}

/** Intersection of two ascending arrays. */
export function intersectSorted(a: Int32Array, b: Int32Array): Int32Array {
  const out = new Int32Array(Math.min(a.length, b.length));
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < a.length && j < b.length) {
    const x = a[i] as number;
    const y = b[j] as number;
    if (x === y) {
      out[n++] = x;
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return out.subarray(0, n);
}

/**
 * Inverted indexes over video metadata (language -> videos, tag -> videos), built once at load, so a
 * metadata filter becomes a short list of candidate rows before top-k instead of a scan per request.
 * Also the sorted-set algebra the recommender uses to combine filters, allow-lists and exclusions.
 * @module
 */
import type { VideoMeta } from '../core/model-data.js';

/** The filter a request may carry; strings compare case-insensitively. */
export interface MetadataFilter {
  /** keep videos in this language, or in any of these */
  language?: string | readonly string[] | undefined;
  /** keep videos carrying at least one of these tags */
  tags?: readonly string[] | undefined;
}

/** Ascending video indices per lower-cased language and tag. */
export interface MetadataIndex {
  byLanguage: ReadonlyMap<string, Int32Array>;
  byTag: ReadonlyMap<string, Int32Array>;
}

const EMPTY = new Int32Array(0);

/** Builds the language and tag indexes of a model's metadata. */
export function buildMetadataIndex(metadata: readonly (VideoMeta | null)[]): MetadataIndex {
  const languages = new Map<string, number[]>();
  const tags = new Map<string, number[]>();
  const add = (map: Map<string, number[]>, key: string, row: number): void => {
    const list = map.get(key);
    if (!list) map.set(key, [row]);
    else if (list[list.length - 1] !== row) list.push(row);
  };
  metadata.forEach((meta, row) => {
    if (!meta) return;
    if (meta.language) add(languages, meta.language.trim().toLowerCase(), row);
    for (const tag of meta.tags ?? []) add(tags, tag.trim().toLowerCase(), row);
  });
  const freeze = (map: Map<string, number[]>) =>
    new Map([...map].map(([key, rows]) => [key, Int32Array.from(rows)]));
  return { byLanguage: freeze(languages), byTag: freeze(tags) };
}

/** The ascending rows a filter keeps, or undefined when the filter keeps everything. */
export function filterRows(index: MetadataIndex, filter: MetadataFilter): Int32Array | undefined {
  let rows: Int32Array | undefined;
  if (filter.language !== undefined) {
    const wanted = typeof filter.language === 'string' ? [filter.language] : filter.language;
    rows = unionAll(wanted.map((l) => index.byLanguage.get(l.trim().toLowerCase()) ?? EMPTY));
  }
  if (filter.tags !== undefined) {
    const tagged = unionAll(filter.tags.map((t) => index.byTag.get(t.trim().toLowerCase()) ?? EMPTY));
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

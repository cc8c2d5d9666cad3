/**
 * From events to the user x video matrix ALS trains on: events of one (user, video) pair are summed
 * into one value, as the original did (`groupby(["userId", "videoId"]).sum()`).
 * @module
 */

import { csrFromTriples } from '../src/core/csr.js';
import type { Csr } from '../src/core/model-data.js';
import type { EventsRead } from './read-events.js';

/** The training matrix and the ids of its rows and columns. */
export interface Interactions {
  /**
   * Row ids, sorted ascending by UTF-16 code units (plain `<`, locale-independent), as the original's
   * pandas groupby ordered them; the same ids give the same order whatever the order of the file.
   */
  userIds: string[];
  /** Column ids, sorted like `userIds`. */
  videoIds: string[];
  /** users x videos, summed event values per pair, column indices ascending in each row. */
  matrix: Csr;
  /** Valid events that were summed into the matrix. */
  events: number;
  /** sha256 (hex) of the events file's bytes, for the manifest. */
  digest: string;
  /**
   * Latest event time of each stored pair, aligned with `matrix.indices` / `matrix.data`, in
   * milliseconds since 1970-01-01 UTC; NaN when the input has no timestamps.
   */
  lastTimestamp: Float64Array;
}

function codeUnitOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** old index -> new index, for ids sorted by code units. */
function sortedRemap(ids: readonly string[]): { sorted: string[]; remap: Int32Array } {
  const order = ids.map((_, i) => i).sort((a, b) => codeUnitOrder(ids[a] as string, ids[b] as string));
  const remap = new Int32Array(ids.length);
  order.forEach((old, at) => {
    remap[old] = at;
  });
  return { sorted: order.map((i) => ids[i] as string), remap };
}

/** Position of column `col` within row `row`, by binary search over the row's ascending indices. */
function entryOf(m: Csr, row: number, col: number): number {
  let lo = m.indptr[row] as number;
  let hi = (m.indptr[row + 1] as number) - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const at = m.indices[mid] as number;
    if (at === col) return mid;
    if (at < col) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/**
 * Sums events into the user x video matrix.
 * @param read - Events from {@link readEvents} (already checked: at least two users and two videos).
 * @returns The matrix with sorted ids, the event count, the input digest and per-pair last times.
 * @example
 * const interactions = buildInteractions(await readEvents('data/original/interactions.csv'));
 * interactions.matrix.rows; // 5
 */
export function buildInteractions(read: EventsRead): Interactions {
  const users = sortedRemap(read.userIds);
  const videos = sortedRemap(read.videoIds);
  const n = read.count;
  const rows = new Int32Array(n);
  const cols = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    rows[i] = users.remap[read.user[i] as number] as number;
    cols[i] = videos.remap[read.video[i] as number] as number;
  }
  const matrix = csrFromTriples(
    users.sorted.length,
    videos.sorted.length,
    rows,
    cols,
    read.value.subarray(0, n),
  );

  const lastTimestamp = new Float64Array(matrix.indices.length).fill(Number.NaN);
  for (let i = 0; i < n; i++) {
    const t = read.timestamp[i] as number;
    if (Number.isNaN(t)) continue;
    const at = entryOf(matrix, rows[i] as number, cols[i] as number);
    const last = lastTimestamp[at] as number;
    if (Number.isNaN(last) || t > last) lastTimestamp[at] = t;
  }
  return {
    userIds: users.sorted,
    videoIds: videos.sorted,
    matrix,
    events: n,
    digest: read.sha256,
    lastTimestamp,
  };
}

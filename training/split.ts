/**
 * The deterministic per-user holdout of ../shared/EVAL.md, extended to string ids.
 *
 * Rule: every (user, item) pair gets `key = fmix32((fmix32(U ^ seed) + imul(I, 0x9e3779b1)) >>> 0)`, where
 * U and I are the ids' numeric keys ({@link idKey}: the value of a canonical decimal id below 2^32, else the
 * FNV-1a 32-bit hash of its UTF-8 bytes). Each user with n >= 5 pairs has the pairs sorted by (key, item id)
 * and the first floor(n / 5) held out as test; users with fewer pairs stay wholly in train. On numeric ids
 * (MovieLens) this is exactly EVAL.md's split.
 * @module
 */
import { createHash } from 'node:crypto';
import { fnv1aText } from '../src/core/id-hash.js';
import type { Csr } from '../src/core/model-data.js';
import { fmix32 } from '../src/core/random.js';

/** The per-user holdout rule in words, for the report and the manifest. */
export const SPLIT_RULE =
  'Per-user holdout: each (user, video) pair gets key = fmix32((fmix32(U ^ seed) + imul(V, 0x9e3779b1)) >>> 0), where U and V are the ids as numbers when they are canonical integers below 2^32 (as in EVAL.md) and otherwise the FNV-1a 32-bit hash of their UTF-8 bytes; each user with n >= 5 pairs has pairs sorted by (key, video id) and the first floor(n / 5) held out; users with fewer pairs stay in train.';

/** The time split in words: the most recent fifth of each user's pairs is held out. */
export const TIME_SPLIT_RULE =
  "Per-user time holdout: each user with n >= 5 pairs has the floor(n / 5) pairs with the latest timestamp (a pair's last event) held out, ties broken by the random split's key then video id; users with fewer pairs stay in train.";

/** How the held-out pairs are chosen: `random` (EVAL.md's seeded key) or `time` (each user's most recent). */
export const SPLIT_KINDS = ['random', 'time'] as const;
export type SplitKind = (typeof SPLIT_KINDS)[number];

/** The rule of a split kind, for the report and the manifest. */
export function splitRule(kind: SplitKind): string {
  return kind === 'time' ? TIME_SPLIT_RULE : SPLIT_RULE;
}

/** Default seed of the holdout (EVAL.md). */
export const SPLIT_SEED = 42;
/** Users need at least this many interactions to have any held out. */
export const MIN_PAIRS_FOR_HOLDOUT = 5;
/** One pair in `HOLDOUT_DIVISOR` is held out: floor(n / 5). */
export const HOLDOUT_DIVISOR = 5;

const CANONICAL_UINT = /^(0|[1-9][0-9]{0,9})$/;

/** The numeric value of an id when it is a canonical decimal integer below 2^32, else undefined. */
export function numericId(id: string): number | undefined {
  if (!CANONICAL_UINT.test(id)) return undefined;
  const value = Number(id);
  return value <= 0xffffffff ? value : undefined;
}

/** The 32-bit key of a raw id: its numeric value for canonical integers (EVAL.md), else its FNV-1a hash. */
export function idKey(id: string): number {
  return numericId(id) ?? fnv1aText(id);
}

/** EVAL.md's pair key from the users' and items' numeric keys. */
export function holdoutKey(userKey: number, itemKey: number, seed: number = SPLIT_SEED): number {
  return fmix32((fmix32(userKey ^ seed) + Math.imul(itemKey, 0x9e3779b1)) >>> 0);
}

/** Orders raw ids numerically when both are canonical integers, else by UTF-16 code units. */
export function compareIds(a: string, b: string): number {
  const na = numericId(a);
  const nb = numericId(b);
  if (na !== undefined && nb !== undefined) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Interactions as the split needs them: the summed user x item matrix and the raw ids of its rows and columns. */
export interface SplitInput {
  userIds: readonly string[];
  videoIds: readonly string[];
  matrix: Csr;
  /** latest event time of each stored pair (aligned with `matrix.indices`), NaN when unknown; the time split needs it */
  lastTimestamp?: Float64Array | undefined;
}

/** Train and test parts of the same shape as the input, plus their sizes. */
export interface Split {
  train: Csr;
  test: Csr;
  trainPairs: number;
  testPairs: number;
  /** users with at least one held-out pair */
  testUsers: number;
  seed: number;
  kind: SplitKind;
  /** the train pairs' timestamps (aligned with `train.indices`), when the input has them */
  trainTimestamps?: Float64Array | undefined;
}

/**
 * Splits interactions into train and test with the per-user holdout described in the module summary.
 * @param input - the summed interactions and their raw ids
 * @param seed - the holdout seed (EVAL.md: 42)
 */
export function splitHoldout(input: SplitInput, seed: number = SPLIT_SEED): Split {
  return splitBy(input, seed, 'random');
}

/**
 * Holds out each user's most recent fifth ({@link TIME_SPLIT_RULE}): the realistic protocol for a video
 * service, where the model is asked about what comes next.
 * @throws RangeError when the input has no timestamps
 */
export function splitByTime(input: SplitInput, seed: number = SPLIT_SEED): Split {
  const times = input.lastTimestamp;
  if (!times || times.length !== input.matrix.indices.length || times.some((t) => Number.isNaN(t)))
    throw new RangeError('the time split needs a timestamp for every (user, video) pair');
  return splitBy(input, seed, 'time');
}

/** The split of `kind` ({@link splitHoldout} or {@link splitByTime}). */
export function splitOf(kind: SplitKind, input: SplitInput, seed: number = SPLIT_SEED): Split {
  return kind === 'time' ? splitByTime(input, seed) : splitHoldout(input, seed);
}

/** A user's pairs (positions start..end-1 of the matrix) in holdout order: the first floor(n/5) are held out. */
function holdoutOrder(
  input: SplitInput,
  user: number,
  itemKeys: Uint32Array,
  itemOrder: Int32Array,
  seed: number,
  kind: SplitKind,
): number[] {
  const { matrix, userIds } = input;
  const start = matrix.indptr[user] ?? 0;
  const n = (matrix.indptr[user + 1] ?? 0) - start;
  const userKey = idKey(userIds[user] ?? '');
  const keys = new Uint32Array(n);
  for (let j = 0; j < n; j++)
    keys[j] = holdoutKey(userKey, itemKeys[matrix.indices[start + j] ?? 0] ?? 0, seed);
  const times = kind === 'time' ? input.lastTimestamp : undefined;
  const order = Array.from({ length: n }, (_, j) => j);
  order.sort((a, b) => {
    // Latest first for the time split; the key and the id make the order total either way.
    const late = times ? (times[start + b] ?? 0) - (times[start + a] ?? 0) : 0;
    if (late !== 0) return late;
    const diff = (keys[a] ?? 0) - (keys[b] ?? 0);
    if (diff !== 0) return diff;
    return (
      (itemOrder[matrix.indices[start + a] ?? 0] ?? 0) - (itemOrder[matrix.indices[start + b] ?? 0] ?? 0)
    );
  });
  return order;
}

function splitBy(input: SplitInput, seed: number, kind: SplitKind): Split {
  const { matrix, videoIds } = input;
  const itemKeys = new Uint32Array(matrix.cols);
  for (let i = 0; i < matrix.cols; i++) itemKeys[i] = idKey(videoIds[i] ?? '');
  const itemOrder = rankOfIds(videoIds);
  const held = new Uint8Array(matrix.indices.length);
  let testPairs = 0;
  let testUsers = 0;
  for (let u = 0; u < matrix.rows; u++) {
    const start = matrix.indptr[u] ?? 0;
    const n = (matrix.indptr[u + 1] ?? 0) - start;
    if (n < MIN_PAIRS_FOR_HOLDOUT) continue;
    const order = holdoutOrder(input, u, itemKeys, itemOrder, seed, kind);
    const holdout = Math.floor(n / HOLDOUT_DIVISOR);
    for (let j = 0; j < holdout; j++) held[start + (order[j] ?? 0)] = 1;
    testPairs += holdout;
    testUsers += 1;
  }
  const times = input.lastTimestamp;
  return {
    train: selectEntries(matrix, held, 0),
    test: selectEntries(matrix, held, 1),
    trainPairs: matrix.indices.length - testPairs,
    testPairs,
    testUsers,
    seed,
    kind,
    ...(times && times.length === held.length
      ? { trainTimestamps: times.filter((_, p) => held[p] === 0) }
      : {}),
  };
}

/** Position of each id in {@link compareIds} order, so the tie-break compares integers. */
function rankOfIds(ids: readonly string[]): Int32Array {
  const order = ids.map((_, i) => i).sort((a, b) => compareIds(ids[a] ?? '', ids[b] ?? ''));
  const rank = new Int32Array(ids.length);
  order.forEach((index, position) => {
    rank[index] = position;
  });
  return rank;
}

/** The entries of `m` whose flag equals `keep`, as a CSR of the same shape (indices stay ascending). */
function selectEntries(m: Csr, flags: Uint8Array, keep: number): Csr {
  let count = 0;
  for (const flag of flags) if (flag === keep) count++;
  const indptr = new Int32Array(m.rows + 1);
  const indices = new Int32Array(count);
  const data = new Float32Array(count);
  let next = 0;
  for (let r = 0; r < m.rows; r++) {
    for (let p = m.indptr[r] ?? 0; p < (m.indptr[r + 1] ?? 0); p++) {
      if (flags[p] !== keep) continue;
      indices[next] = m.indices[p] ?? 0;
      data[next] = m.data[p] ?? 0;
      next++;
    }
    indptr[r + 1] = next;
  }
  return { rows: m.rows, cols: m.cols, indptr, indices, data };
}

/**
 * The held-out pairs as EVAL.md's check file: `user\titem\tvalue` lines in byte order, newline-terminated
 * (what `LC_ALL=C sort` writes), and its sha256.
 */
export function testSetDigest(test: Csr, userIds: readonly string[], videoIds: readonly string[]): string {
  const lines: string[] = [];
  for (let u = 0; u < test.rows; u++) {
    for (let p = test.indptr[u] ?? 0; p < (test.indptr[u + 1] ?? 0); p++) {
      lines.push(`${userIds[u]}\t${videoIds[test.indices[p] ?? 0]}\t${test.data[p]}`);
    }
  }
  // Plain string order is code-unit order, which equals C-locale byte order for ASCII lines.
  lines.sort();
  return createHash('sha256')
    .update(lines.map((line) => `${line}\n`).join(''))
    .digest('hex');
}

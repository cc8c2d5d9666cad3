/**
 * Similar users: cosine similarity of user factors. With the model's similar-users index (built from
 * 50,000 users up, src/artifact/user-ivf.ts) a query scores the list centroids and reads the best `nprobe`
 * lists, more while fewer than k users were found; without it, or with exact scoring, every user block
 * is scanned. Either way the user's own block comes through the user side (memory or read on demand).
 * @module
 */

import type { UserBlock } from '../artifact/index.js';
import { UnknownUserError } from '../core/errors.js';
import { centroidScores, topKValues } from '../ranking/index.js';
import type { UserSide } from './user-side.js';

/** One similar user. */
export interface SimilarUser {
  userId: string;
  /** cosine similarity of the users' factors, -1..1 */
  score: number;
}

/** The similar-users index as the query needs it. */
export interface UserIndexView {
  centroids: Float32Array;
  lists: number;
  dim: number;
  nprobe: number;
}

/** Blocks scanned at once when every block is read (bounds the reads in flight). */
const SCAN_BATCH = 8;

/** The k best (score, id), ties to the lower id: a sorted array, as k is small. */
class Best {
  readonly items: SimilarUser[] = [];
  constructor(private readonly k: number) {}

  admits(score: number): boolean {
    return this.items.length < this.k || score >= (this.items[this.items.length - 1]?.score ?? 0);
  }

  add(userId: string, score: number): void {
    const at = this.items.findIndex((x) => score > x.score || (score === x.score && userId < x.userId));
    const entry = { userId, score };
    if (at < 0) this.items.push(entry);
    else this.items.splice(at, 0, entry);
    if (this.items.length > this.k) this.items.pop();
  }
}

/** Scores every user of a block against the unit query; `unit` blocks hold unit factors already. */
function scanBlock(
  block: UserBlock,
  query: Float64Array,
  unit: boolean,
  self: { id: string; hash: number },
  best: Best,
): void {
  const f = query.length;
  const factors = block.factorMatrix();
  for (let i = 0; i < block.n; i++) {
    let dot = 0;
    let sq = 0;
    for (let d = 0; d < f; d++) {
      const x = factors[i * f + d] as number;
      dot += (query[d] as number) * x;
      sq += x * x;
    }
    const score = unit ? dot : sq > 0 ? dot / Math.sqrt(sq) : 0;
    if (!best.admits(score)) continue;
    const id = block.idAt(i);
    if (id === self.id && block.hashAt(i) === self.hash) continue;
    best.add(id, score);
  }
}

function unitQuery(factors: Float32Array): Float64Array {
  let sq = 0;
  for (const x of factors) sq += x * x;
  const scale = sq > 0 ? 1 / Math.sqrt(sq) : 0;
  return Float64Array.from(factors, (x) => x * scale);
}

/** Every hash-ordered block, a batch of reads at a time. */
async function scanAll(
  users: UserSide,
  query: Float64Array,
  self: { id: string; hash: number },
  best: Best,
): Promise<void> {
  for (let first = 0; first < users.blocks; first += SCAN_BATCH) {
    const batch = Array.from({ length: Math.min(SCAN_BATCH, users.blocks - first) }, (_, i) =>
      users.block(first + i),
    );
    for (const block of await Promise.all(batch)) scanBlock(block, query, false, self, best);
  }
}

/** The probed lists, best centroid first; more lists while fewer than k users were found. */
async function scanLists(
  users: UserSide,
  index: UserIndexView,
  query: Float64Array,
  self: { id: string; hash: number },
  best: Best,
  k: number,
): Promise<void> {
  const order = topKValues(
    centroidScores(index.centroids, index.dim, index.lists, query),
    index.lists,
  ).indices;
  let probed = 0;
  while (probed < order.length && (probed < index.nprobe || best.items.length < k)) {
    const take = Math.max(1, Math.min(index.nprobe, order.length) - probed);
    const lists = Array.from(order.subarray(probed, probed + take), (l) => users.list(l));
    for (const block of await Promise.all(lists)) {
      if (block) scanBlock(block, query, true, self, best);
    }
    probed += take;
  }
}

/**
 * The k users most similar to `userId` (cosine of factors), the user left out.
 * @param index - the similar-users index, or undefined to scan every user (also the exact oracle)
 * @throws UnknownUserError for a user the model does not have
 */
export async function similarUsers(
  users: UserSide,
  index: UserIndexView | undefined,
  userId: string,
  hash: number,
  k: number,
): Promise<SimilarUser[]> {
  const entry = await users.lookup(userId);
  if (!entry) throw new UnknownUserError(userId);
  const query = unitQuery(entry.factors);
  const best = new Best(k);
  const self = { id: userId, hash };
  if (index && users.lists > 0) await scanLists(users, index, query, self, best, k);
  else await scanAll(users, query, self, best);
  return best.items;
}

/**
 * The similar-users index of format 2 (optional `user_ivf_*` sections): users' factors normalised to unit
 * length and clustered by spherical k-means (src/ranking/ivf.ts), each cluster ("list") stored as one user
 * block appended to `users.bin` after the hash-ordered blocks. A similar-users query scores the centroids
 * (in `items.bin`), reads the best `nprobe` lists (one ranged read each, checked by its digest) and ranks
 * their users by cosine, so it touches a few lists however many users there are; without the index (fewer
 * than {@link USER_IVF_MIN_USERS} users) every user block is scanned.
 * @module
 */
import type { ModelData } from '../core/model-data.js';
import { buildIvf, type IvfOptions } from '../ranking/index.js';
import type { IndexInfo } from './format.js';
import { blockDigest, UserBlockWriter } from './user-blocks.js';

/** From this many users on, training builds the similar-users index (below, a scan of every block is cheap). */
export const USER_IVF_MIN_USERS = 50_000;

/** The index as encoded: the `items.bin` sections and the list blocks to append to `users.bin`. */
export interface EncodedUserIvf {
  centroids: Float32Array;
  /** byte offsets of the lists in users.bin, lists + 1 (starts where the hash-ordered blocks end) */
  offsets: Float64Array;
  /** first 8 bytes of each list block's sha256, as two u32 */
  digests: Uint32Array;
  blocks: Uint8Array[];
  info: Extract<IndexInfo, { kind: 'ivf' }>;
}

/** Each user's factors scaled to unit length (zero vectors stay zero). */
export function unitRows(factors: Float32Array, dim: number): Float32Array {
  const out = new Float32Array(factors.length);
  for (let r = 0; r < factors.length / dim; r++) {
    let sq = 0;
    for (let j = r * dim; j < (r + 1) * dim; j++) sq += (factors[j] as number) ** 2;
    const scale = sq > 0 ? 1 / Math.sqrt(sq) : 0;
    for (let j = r * dim; j < (r + 1) * dim; j++) out[j] = (factors[j] as number) * scale;
  }
  return out;
}

/** One list's users as one block: (hash, id) order, unit factors, no history. */
function listBlock(
  model: ModelData,
  unit: Float32Array,
  hashes: Uint32Array,
  members: Int32Array,
): Uint8Array {
  const f = model.factors;
  const sorted = Array.from(members).sort((a, b) => {
    const d = (hashes[a] as number) - (hashes[b] as number);
    if (d !== 0) return d;
    const [ia, ib] = [model.userIds[a] as string, model.userIds[b] as string];
    return ia < ib ? -1 : ia > ib ? 1 : 0;
  });
  const parts: Uint8Array[] = [];
  const writer = new UserBlockWriter(f, (block) => parts.push(block), Number.POSITIVE_INFINITY);
  for (const u of sorted) {
    writer.add({
      id: model.userIds[u] as string,
      hash: hashes[u] as number,
      factors: unit.subarray(u * f, (u + 1) * f),
      items: new Int32Array(0),
      values: new Float32Array(0),
    });
  }
  writer.finish();
  return parts[0] ?? new Uint8Array(0);
}

/**
 * Builds the similar-users index of a model whose hash-ordered user blocks end at byte `start` of users.bin.
 * @param hashes - each user's id hash (training order)
 */
export function encodeUserIvf(
  model: ModelData,
  hashes: Uint32Array,
  start: number,
  options: IvfOptions = {},
): EncodedUserIvf {
  const f = model.factors;
  const unit = unitRows(model.userFactors, f);
  const ivf = buildIvf(unit, f, { queries: unit, ...options });
  const offsets = new Float64Array(ivf.lists + 1);
  const digests = new Uint32Array(ivf.lists * 2);
  const blocks: Uint8Array[] = [];
  offsets[0] = start;
  for (let l = 0; l < ivf.lists; l++) {
    const members = ivf.order.subarray(ivf.offsets[l] as number, ivf.offsets[l + 1] as number);
    const block = listBlock(model, unit, hashes, members);
    blocks.push(block);
    digests.set(blockDigest(block), l * 2);
    offsets[l + 1] = (offsets[l] as number) + block.byteLength;
  }
  return {
    centroids: ivf.centroids,
    offsets,
    digests,
    blocks,
    info: {
      kind: 'ivf',
      lists: ivf.lists,
      nprobe: ivf.nprobe,
      recallAt10: ivf.recallAt10,
      queries: ivf.queries,
    },
  };
}

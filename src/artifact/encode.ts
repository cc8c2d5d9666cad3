/**
 * Writes a model in format 2: `items.bin` (the item side, aligned sections), `users.bin` (user
 * blocks) and the manifest that describes and checksums both. The pieces are exported separately so
 * a generator can stream millions of users to disk (bench/scale.ts); {@link encodeModel} composes
 * them for a model held in memory.
 * @module
 */
import { gramMatrix } from '../als/index.js';
import { ArtifactInvalidError } from '../core/errors.js';
import { idHash } from '../core/id-hash.js';
import { buildIdTable } from '../core/id-table.js';
import type { AlsParams, ColdVideos, ModelData, VideoMeta } from '../core/model-data.js';
import { buildIvf, IVF_MIN_ITEMS, type IvfIndex, type IvfOptions, topKValues } from '../ranking/index.js';
import { sha256Hex } from './checks.js';
import {
  FORMAT_VERSION,
  type IndexInfo,
  ITEM_SECTIONS,
  ITEMS_FILE,
  type ItemSectionName,
  type Manifest,
  SECTION_ALIGNMENT,
  type Section,
  timestampId,
  USERS_FILE,
} from './format.js';
import { UserBlockWriter, type UserDirectory } from './user-blocks.js';
import { type EncodedUserIvf, encodeUserIvf, USER_IVF_MIN_USERS } from './user-ivf.js';

/** What the manifest records besides the model itself. */
export interface ManifestInput {
  params: AlsParams;
  /** digest of the training input (e.g. sha256 of the events file and options) */
  datasetDigest: string;
  /** evaluation results, stored as given */
  metrics?: Record<string, unknown>;
  /** raw event rows summed into the model's interactions, when known */
  events?: number;
  /** defaults to now; fixed in tests for reproducible version ids */
  createdAt?: Date;
  /** ANN index: `auto` (default) builds one from IVF_MIN_ITEMS videos up, `ivf` always, `exact` never */
  index?: 'auto' | 'ivf' | 'exact';
  ivf?: IvfOptions;
  /** similar-users index: `auto` (default) from USER_IVF_MIN_USERS users up, `ivf` always, `exact` never */
  userIndex?: 'auto' | 'ivf' | 'exact';
  userIvf?: IvfOptions;
  /** the hyper-parameter search, stored as given (`npm run train -- --tune`) */
  tuning?: Record<string, unknown>;
}

/** A model ready to publish: the manifest and the bytes of each file of the version. */
export interface EncodedArtifact {
  manifest: Manifest;
  files: Record<string, Uint8Array>;
}

/** The item side before layout: arrays in their final (stored) row order. */
export interface ItemSide {
  factors: number;
  itemFactors: Float32Array;
  popularity: Float32Array;
  videoIds: readonly string[];
  metadata: readonly (VideoMeta | null)[] | null;
  ivf: Pick<IvfIndex, 'centroids' | 'offsets' | 'lists'> | undefined;
  users: UserDirectory;
  /** bm25 weighting: each video's length norm (stored order) */
  weightNorms?: Float64Array | undefined;
  /** videos with metadata and no interactions */
  cold?: ColdVideos | undefined;
  /** the similar-users index (its list blocks follow the user blocks in users.bin) */
  userIvf?: Pick<EncodedUserIvf, 'centroids' | 'offsets' | 'digests'> | undefined;
}

interface Pending {
  name: ItemSectionName;
  shape: number[];
  bytes: Uint8Array;
}

const textEncoder = new TextEncoder();
// Typed arrays are little-endian on every platform Node ships for; the format is defined as little-endian.
const isLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const alignUp = (n: number): number => Math.ceil(n / SECTION_ALIGNMENT) * SECTION_ALIGNMENT;
const raw = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

function inverseNorms(itemFactors: Float32Array, f: number): Float32Array {
  const out = new Float32Array(itemFactors.length / f);
  for (let v = 0; v < out.length; v++) {
    let sq = 0;
    for (let j = v * f; j < (v + 1) * f; j++) sq += (itemFactors[j] as number) ** 2;
    out[v] = sq > 0 ? 1 / Math.sqrt(sq) : 0;
  }
  return out;
}

/** One JSON document per video (empty for none), concatenated, with their offsets. */
function jsonRows(metadata: readonly (VideoMeta | null)[]): { bytes: Uint8Array; offsets: Int32Array } {
  const encoded = metadata.map((m) => (m ? textEncoder.encode(JSON.stringify(m)) : new Uint8Array(0)));
  const offsets = new Int32Array(metadata.length + 1);
  encoded.forEach((e, i) => {
    offsets[i + 1] = (offsets[i] as number) + e.length;
  });
  const bytes = new Uint8Array(offsets[metadata.length] as number);
  encoded.forEach((e, i) => {
    bytes.set(e, offsets[i] as number);
  });
  return { bytes, offsets };
}

/** The cold videos: their id table and their metadata. */
function coldSections(cold: ColdVideos): Pending[] {
  let ids: ReturnType<typeof buildIdTable>;
  try {
    ids = buildIdTable(cold.ids);
  } catch (error) {
    throw new ArtifactInvalidError(`Cannot encode model: cold video ${(error as Error).message}`);
  }
  const meta = jsonRows(cold.metadata);
  return [
    { name: 'cold_video_id_bytes', shape: [ids.bytes.length], bytes: ids.bytes },
    { name: 'cold_video_id_offsets', shape: [cold.ids.length + 1], bytes: raw(ids.offsets) },
    { name: 'cold_video_id_slots', shape: [ids.slots.length], bytes: raw(ids.slots) },
    { name: 'cold_metadata_bytes', shape: [meta.bytes.length], bytes: meta.bytes },
    { name: 'cold_metadata_offsets', shape: [meta.offsets.length], bytes: raw(meta.offsets) },
  ];
}

/** Sections of the optional groups: bm25 norms, cold videos, the similar-users index. */
function optionalSections(items: ItemSide): Pending[] {
  const out: Pending[] = [];
  const videos = items.videoIds.length;
  if (items.weightNorms)
    out.push({ name: 'item_weight_norms', shape: [videos], bytes: raw(items.weightNorms) });
  if (items.cold) out.push(...coldSections(items.cold));
  if (items.userIvf) {
    const lists = items.userIvf.offsets.length - 1;
    out.push(
      { name: 'user_ivf_centroids', shape: [lists, items.factors], bytes: raw(items.userIvf.centroids) },
      { name: 'user_ivf_offsets', shape: [lists + 1], bytes: raw(items.userIvf.offsets) },
      { name: 'user_ivf_digests', shape: [lists, 2], bytes: raw(items.userIvf.digests) },
    );
  }
  return out;
}

/** Per-video JSON (empty for none), and the language/tag filter index as postings. */
function metadataSections(metadata: readonly (VideoMeta | null)[]): Pending[] {
  const { bytes, offsets } = jsonRows(metadata);
  const keys = { language: new Map<string, number[]>(), tags: new Map<string, number[]>() };
  const add = (map: Map<string, number[]>, key: string, row: number): void => {
    const list = map.get(key) ?? [];
    if (list[list.length - 1] !== row) list.push(row);
    map.set(key, list);
  };
  metadata.forEach((meta, row) => {
    if (meta?.language) add(keys.language, meta.language.trim().toLowerCase(), row);
    for (const tag of meta?.tags ?? []) add(keys.tags, tag.trim().toLowerCase(), row);
  });
  const postings: number[] = [];
  const index: Record<'language' | 'tags', Record<string, [number, number]>> = { language: {}, tags: {} };
  for (const kind of ['language', 'tags'] as const) {
    for (const [key, rows] of [...keys[kind]].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      index[kind][key] = [postings.length, rows.length];
      for (const row of rows) postings.push(row);
    }
  }
  const indexBytes = textEncoder.encode(JSON.stringify(index));
  return [
    { name: 'metadata_bytes', shape: [bytes.length], bytes },
    { name: 'metadata_offsets', shape: [offsets.length], bytes: raw(offsets) },
    { name: 'metadata_index', shape: [indexBytes.length], bytes: indexBytes },
    { name: 'metadata_postings', shape: [postings.length], bytes: raw(Int32Array.from(postings)) },
  ];
}

/**
 * Lays out the item side as the sections of `items.bin`.
 * @returns the file's bytes and its section table
 */
export function encodeItems(items: ItemSide): { bytes: Uint8Array; sections: Section[] } {
  const f = items.factors;
  const videos = items.videoIds.length;
  let ids: ReturnType<typeof buildIdTable>;
  try {
    ids = buildIdTable(items.videoIds);
  } catch (error) {
    throw new ArtifactInvalidError(`Cannot encode model: video ${(error as Error).message}`);
  }
  const order = topKValues(items.popularity, videos).indices;
  const pending: Pending[] = [
    { name: 'item_factors', shape: [videos, f], bytes: raw(items.itemFactors) },
    { name: 'item_inverse_norms', shape: [videos], bytes: raw(inverseNorms(items.itemFactors, f)) },
    { name: 'popularity', shape: [videos], bytes: raw(items.popularity) },
    { name: 'popularity_order', shape: [videos], bytes: raw(order) },
    { name: 'video_id_bytes', shape: [ids.bytes.length], bytes: ids.bytes },
    { name: 'video_id_offsets', shape: [videos + 1], bytes: raw(ids.offsets) },
    { name: 'video_id_slots', shape: [ids.slots.length], bytes: raw(ids.slots) },
    { name: 'gram', shape: [f, f], bytes: raw(gramMatrix(items.itemFactors, videos, f)) },
    { name: 'user_block_hashes', shape: [items.users.hashes.length], bytes: raw(items.users.hashes) },
    { name: 'user_block_offsets', shape: [items.users.offsets.length], bytes: raw(items.users.offsets) },
    { name: 'user_block_digests', shape: [items.users.hashes.length, 2], bytes: raw(items.users.digests) },
  ];
  if (items.ivf) {
    pending.push(
      { name: 'ivf_centroids', shape: [items.ivf.lists, f], bytes: raw(items.ivf.centroids) },
      { name: 'ivf_offsets', shape: [items.ivf.lists + 1], bytes: raw(items.ivf.offsets) },
    );
  }
  if (items.metadata) pending.push(...metadataSections(items.metadata));
  pending.push(...optionalSections(items));
  let offset = 0;
  const sections: Section[] = pending.map((p) => {
    offset = alignUp(offset);
    const section: Section = {
      name: p.name,
      dtype: ITEM_SECTIONS[p.name],
      shape: p.shape,
      offset,
      length: p.bytes.byteLength,
      sha256: sha256Hex(p.bytes),
    };
    offset += p.bytes.byteLength;
    return section;
  });
  const bytes = new Uint8Array(alignUp(offset));
  pending.forEach((p, i) => {
    bytes.set(p.bytes, sections[i]!.offset);
  });
  return { bytes, sections };
}

/** The manifest of a version whose files are already laid out. */
export function buildManifest(parts: {
  info: ManifestInput;
  counts: Manifest['counts'];
  items: { bytes: Uint8Array; sections: Section[] };
  users: { bytes: number; sha256: string; blocks: number };
  index: IndexInfo;
  userIndex?: IndexInfo | undefined;
  weighting?: Manifest['weighting'];
}): Manifest {
  const itemsSha = sha256Hex(parts.items.bytes);
  const createdAt = parts.info.createdAt ?? new Date();
  const contentSha = sha256Hex(textEncoder.encode(`${itemsSha}:${parts.users.sha256}`));
  return {
    formatVersion: FORMAT_VERSION,
    version: `${timestampId(createdAt)}-${contentSha.slice(0, 8)}`,
    createdAt: createdAt.toISOString(),
    params: { ...parts.info.params },
    counts: parts.counts,
    metrics: parts.info.metrics ?? {},
    dataset: { digest: parts.info.datasetDigest },
    items: {
      file: ITEMS_FILE,
      bytes: parts.items.bytes.byteLength,
      sha256: itemsSha,
      sections: parts.items.sections,
    },
    users: { file: USERS_FILE, ...parts.users },
    index: parts.index,
    ...(parts.userIndex ? { userIndex: parts.userIndex } : {}),
    ...(parts.weighting && parts.weighting.scheme !== 'none' ? { weighting: parts.weighting } : {}),
    ...(parts.info.tuning ? { tuning: parts.info.tuning } : {}),
  };
}

/** Histories are renumbered through a row map, where an out-of-range video would silently become row 0. */
function seenProblem(seen: ModelData['seen'], videos: number): string | undefined {
  const { indptr, indices } = seen;
  const rows = indptr.length - 1;
  let rising = indptr[0] === 0 && indptr[rows] === indices.length;
  for (let r = 0; rising && r < rows; r++) rising = (indptr[r + 1] as number) >= (indptr[r] as number);
  if (!rising) return `seen.indptr must rise from 0 to ${indices.length}`;
  for (let r = 0; r < rows; r++) {
    for (let p = indptr[r] as number; p < (indptr[r + 1] as number); p++) {
      const video = indices[p] as number;
      if (video < 0 || video >= videos) return `seen row ${r} names video ${video}, outside 0..${videos - 1}`;
    }
  }
  return undefined;
}

function checkModel(model: ModelData): void {
  const users = model.userIds.length;
  const videos = model.videoIds.length;
  const k = model.factors;
  const problems: string[] = [];
  if (!Number.isInteger(k) || k <= 0) problems.push(`factors must be a positive integer, got ${k}`);
  if (model.userFactors.length !== users * k)
    problems.push(`userFactors has ${model.userFactors.length} values, expected ${users}x${k}`);
  if (model.itemFactors.length !== videos * k)
    problems.push(`itemFactors has ${model.itemFactors.length} values, expected ${videos}x${k}`);
  if (model.seen.rows !== users || model.seen.cols !== videos)
    problems.push(`seen is ${model.seen.rows}x${model.seen.cols}, expected ${users}x${videos}`);
  if (model.seen.indptr.length !== users + 1)
    problems.push(`seen.indptr has ${model.seen.indptr.length} entries, expected ${users + 1}`);
  if (model.seen.indices.length !== model.seen.data.length)
    problems.push('seen.indices and seen.data differ in length');
  else if (model.seen.indptr.length === users + 1) {
    const problem = seenProblem(model.seen, videos);
    if (problem) problems.push(problem);
  }
  if (model.popularity.length !== videos)
    problems.push(`popularity has ${model.popularity.length} values, expected ${videos}`);
  if (model.metadata !== null && model.metadata.length !== videos)
    problems.push(`metadata has ${model.metadata.length} entries, expected ${videos}`);
  if (new Set(model.userIds).size !== users) problems.push('user ids repeat');
  const norms = model.weighting?.itemNorms;
  if (norms && norms.length !== videos)
    problems.push(`weighting has ${norms.length} item norms, expected ${videos}`);
  if (model.weighting?.weighting.scheme === 'bm25' && !norms)
    problems.push('bm25 weighting needs item norms');
  const cold = model.coldVideos;
  if (cold && cold.metadata.length !== cold.ids.length)
    problems.push(`coldVideos has ${cold.metadata.length} metadata entries for ${cold.ids.length} ids`);
  if (cold && cold.ids.length > 0 && model.metadata === null) problems.push('coldVideos need video metadata');
  const warm = new Set(model.videoIds);
  const twice = cold?.ids.find((id) => warm.has(id));
  if (twice !== undefined) problems.push(`video ${JSON.stringify(twice)} is both in the model and cold`);
  if (problems.length > 0) throw new ArtifactInvalidError(`Cannot encode model: ${problems.join('; ')}`);
}

/** Item rows in stored order: an IVF index's cluster order, or training order. */
function chooseOrder(
  model: ModelData,
  info: ManifestInput,
): { ivf: IvfIndex | undefined; order: Int32Array } {
  const videos = model.videoIds.length;
  const wanted = info.index ?? 'auto';
  const build = wanted === 'ivf' || (wanted === 'auto' && videos >= IVF_MIN_ITEMS);
  if (!build || videos === 0)
    return { ivf: undefined, order: Int32Array.from({ length: videos }, (_, i) => i) };
  const ivf = buildIvf(model.itemFactors, model.factors, {
    seed: info.params.seed,
    ...(model.userIds.length > 0 ? { queries: model.userFactors } : {}),
    ...info.ivf,
  });
  return { ivf, order: ivf.order };
}

/** Writes every user of `model` through `writer`, histories renumbered to stored item rows. */
function writeUsers(
  model: ModelData,
  newRowOf: Int32Array,
  hashes: Uint32Array,
  writer: UserBlockWriter,
): void {
  const f = model.factors;
  const byHash = Int32Array.from({ length: model.userIds.length }, (_, i) => i).sort((a, b) => {
    const d = (hashes[a] as number) - (hashes[b] as number);
    if (d !== 0) return d;
    const ia = model.userIds[a] as string;
    const ib = model.userIds[b] as string;
    return ia < ib ? -1 : ia > ib ? 1 : 0;
  });
  const { indptr, indices, data } = model.seen;
  for (const u of byHash) {
    const start = indptr[u] as number;
    const end = indptr[u + 1] as number;
    const pairs = Array.from(
      { length: end - start },
      (_, j) => [newRowOf[indices[start + j] as number] as number, data[start + j] as number] as const,
    );
    pairs.sort((a, b) => a[0] - b[0]);
    writer.add({
      id: model.userIds[u] as string,
      hash: hashes[u] as number,
      factors: model.userFactors.subarray(u * f, (u + 1) * f),
      items: Int32Array.from(pairs, (p) => p[0]),
      values: Float32Array.from(pairs, (p) => p[1]),
    });
  }
}

/**
 * Lays the model out as format 2. Videos are stored in ANN-list order when an index is built, so
 * row numbers in the artifact differ from training's; ids are what clients see.
 * @param model - the trained model (arrays are copied, not retained)
 * @param info - params, data set digest, metrics and index choice recorded in the manifest
 * @throws ArtifactInvalidError when the model's arrays disagree with its id lists or factor count
 * @example
 * const { manifest, files } = encodeModel(model, { params, datasetDigest });
 */
export function encodeModel(model: ModelData, info: ManifestInput): EncodedArtifact {
  if (!isLittleEndian) throw new ArtifactInvalidError('Cannot encode model: this platform is big-endian');
  checkModel(model);
  const f = model.factors;
  const { ivf, order } = chooseOrder(model, info);
  const newRowOf = new Int32Array(order.length);
  order.forEach((old, row) => {
    newRowOf[old] = row;
  });
  const itemFactors = new Float32Array(order.length * f);
  order.forEach((old, row) => {
    itemFactors.set(model.itemFactors.subarray(old * f, (old + 1) * f), row * f);
  });
  const users = layUsers(model, newRowOf, info);
  const norms = model.weighting?.itemNorms;
  const items = encodeItems({
    factors: f,
    itemFactors,
    popularity: Float32Array.from(order, (old) => model.popularity[old] as number),
    videoIds: Array.from(order, (old) => model.videoIds[old] as string),
    metadata: model.metadata ? Array.from(order, (old) => model.metadata?.[old] ?? null) : null,
    ivf,
    users: users.directory,
    weightNorms: norms ? Float64Array.from(order, (old) => norms[old] as number) : undefined,
    cold: model.coldVideos && model.coldVideos.ids.length > 0 ? model.coldVideos : undefined,
    userIvf: users.ivf,
  });
  const index: IndexInfo = ivf
    ? { kind: 'ivf', lists: ivf.lists, nprobe: ivf.nprobe, recallAt10: ivf.recallAt10, queries: ivf.queries }
    : { kind: 'exact' };
  const counts = {
    users: model.userIds.length,
    videos: model.videoIds.length,
    factors: f,
    interactions: model.seen.indices.length,
    ...(info.events === undefined ? {} : { events: info.events }),
    ...(model.coldVideos?.ids.length ? { coldVideos: model.coldVideos.ids.length } : {}),
  };
  const manifest = buildManifest({
    info,
    counts,
    items,
    users: { bytes: users.bytes.byteLength, sha256: sha256Hex(users.bytes), blocks: users.blocks },
    index,
    userIndex: users.ivf?.info,
    weighting: model.weighting?.weighting,
  });
  return { manifest, files: { [ITEMS_FILE]: items.bytes, [USERS_FILE]: users.bytes } };
}

/** `users.bin`: the user blocks in hash order, then the similar-users lists when the index is built. */
function layUsers(
  model: ModelData,
  newRowOf: Int32Array,
  info: ManifestInput,
): { bytes: Uint8Array; directory: UserDirectory; blocks: number; ivf: EncodedUserIvf | undefined } {
  const hashes = Uint32Array.from(model.userIds, (id) => idHash(id));
  const blocks: Uint8Array[] = [];
  const writer = new UserBlockWriter(model.factors, (block) => blocks.push(block));
  writeUsers(model, newRowOf, hashes, writer);
  const users = writer.finish();
  const wanted = info.userIndex ?? 'auto';
  const build =
    model.userIds.length > 0 &&
    (wanted === 'ivf' || (wanted === 'auto' && model.userIds.length >= USER_IVF_MIN_USERS));
  const ivf = build
    ? encodeUserIvf(model, hashes, users.bytes, { seed: info.params.seed, ...info.userIvf })
    : undefined;
  const all = [...blocks, ...(ivf?.blocks ?? [])];
  const bytes = new Uint8Array(all.reduce((n, b) => n + b.byteLength, 0));
  let at = 0;
  for (const block of all) {
    bytes.set(block, at);
    at += block.byteLength;
  }
  return { bytes, directory: users.directory, blocks: users.blocks, ivf };
}

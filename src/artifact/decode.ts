/**
 * Reads and verifies format 2: the manifest, then `items.bin` (size, sha256, every section's place and
 * shape against the manifest counts, the structure of ids, lists and the user directory) as typed-array
 * views onto wherever the bytes were loaded, so the item side is held in memory once.
 * @module
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ArtifactInvalidError } from '../core/errors.js';
import { IdTable } from '../core/id-table.js';
import { sha256Hex, sizeMismatch } from './checks.js';
import {
  DTYPE_BYTES,
  FORMAT_VERSION,
  ITEM_SECTIONS,
  ITEMS_FILE,
  type ItemSectionName,
  MANIFEST_FILE,
  type Manifest,
  manifestSchema,
  OPTIONAL_ITEM_SECTIONS,
  SECTION_GROUPS,
  type Section,
  V1_FORMAT_VERSION,
} from './format.js';
import type { UserDirectory } from './user-blocks.js';

/** The metadata filter index: lower-cased key -> [start, count] in the postings. */
export interface MetadataIndexJson {
  language: Record<string, [number, number]>;
  tags: Record<string, [number, number]>;
}

/** Typed views of a verified `items.bin`. */
export interface ItemSideView {
  factors: number;
  videos: number;
  itemFactors: Float32Array;
  inverseNorms: Float32Array;
  popularity: Float32Array;
  /** video rows by popularity, most popular first (ties: lower row) */
  popularityOrder: Int32Array;
  videoIds: IdTable;
  /** YᵀY of the item factors, for fold-in */
  gram: Float64Array;
  ivf: { centroids: Float32Array; offsets: Int32Array; lists: number } | undefined;
  metadata:
    | { bytes: Uint8Array; offsets: Int32Array; index: MetadataIndexJson; postings: Int32Array }
    | undefined;
  users: UserDirectory;
  /** bm25 weighting: each video's length norm */
  weightNorms?: Float64Array | undefined;
  /** videos with metadata and no interactions: their ids and metadata JSON */
  cold?: { videoIds: IdTable; metadata: { bytes: Uint8Array; offsets: Int32Array } } | undefined;
  /** the similar-users index: centroids, and each list's bytes in users.bin with its digest */
  userIvf?:
    | { centroids: Float32Array; offsets: Float64Array; digests: Uint32Array; lists: number }
    | undefined;
}

const metadataIndexSchema = z.object({
  language: z.record(z.string(), z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()])),
  tags: z.record(z.string(), z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()])),
});

function invalid(message: string, cause?: unknown): ArtifactInvalidError {
  return new ArtifactInvalidError(message, cause === undefined ? undefined : { cause });
}

/** The format version a manifest declares, checked before its schema so an unknown one says so. */
export function formatVersionOf(manifest: unknown): number {
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) {
    throw invalid(`${MANIFEST_FILE} is not a JSON object`);
  }
  const version = (manifest as { formatVersion?: unknown }).formatVersion;
  if (version !== FORMAT_VERSION && version !== V1_FORMAT_VERSION) {
    throw invalid(
      `${MANIFEST_FILE} has unknown format version ${JSON.stringify(version)} (this reader supports ${V1_FORMAT_VERSION} and ${FORMAT_VERSION})`,
    );
  }
  return version;
}

/** Checks a manifest's format version, then its schema; both failures name what is wrong. */
export function checkedManifest<T>(manifest: unknown, version: number, schema: z.ZodType<T>): T {
  const declared = formatVersionOf(manifest);
  if (declared !== version) {
    throw invalid(`${MANIFEST_FILE} is format ${declared}, not the format ${version} this reader reads`);
  }
  const parsed = schema.safeParse(manifest);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
      .join('; ');
    throw invalid(`${MANIFEST_FILE} is invalid: ${issues}`);
  }
  return parsed.data;
}

/** Validates a format-2 manifest. */
export function parseManifest(manifest: unknown): Manifest {
  return checkedManifest(manifest, FORMAT_VERSION, manifestSchema);
}

function expectedShapes(m: Manifest): Map<ItemSectionName, number[] | undefined> {
  const { videos, factors } = m.counts;
  const blocks = m.users.blocks;
  const lists = m.index.kind === 'ivf' ? m.index.lists : 0;
  const userLists = m.userIndex?.kind === 'ivf' ? m.userIndex.lists : 0;
  return new Map<ItemSectionName, number[] | undefined>([
    ['item_factors', [videos, factors]],
    ['item_inverse_norms', [videos]],
    ['popularity', [videos]],
    ['popularity_order', [videos]],
    ['video_id_bytes', undefined],
    ['video_id_offsets', [videos + 1]],
    ['video_id_slots', undefined],
    ['gram', [factors, factors]],
    ['ivf_centroids', [lists, factors]],
    ['ivf_offsets', [lists + 1]],
    ['metadata_bytes', undefined],
    ['metadata_offsets', [videos + 1]],
    ['metadata_index', undefined],
    ['metadata_postings', undefined],
    ['user_block_hashes', [blocks]],
    ['user_block_offsets', [blocks + 1]],
    ['user_block_digests', [blocks, 2]],
    ['item_weight_norms', [videos]],
    ['cold_video_id_bytes', undefined],
    ['cold_video_id_offsets', [(m.counts.coldVideos ?? 0) + 1]],
    ['cold_video_id_slots', undefined],
    ['cold_metadata_bytes', undefined],
    ['cold_metadata_offsets', [(m.counts.coldVideos ?? 0) + 1]],
    ['user_ivf_centroids', [userLists, factors]],
    ['user_ivf_offsets', [userLists + 1]],
    ['user_ivf_digests', [userLists, 2]],
  ]);
}

function checkSection(section: Section, shape: number[] | undefined, fileBytes: number): void {
  const where = `${ITEMS_FILE} section ${section.name}`;
  const dtype = ITEM_SECTIONS[section.name];
  if (section.dtype !== dtype) throw invalid(`${where} has dtype ${section.dtype}, expected ${dtype}`);
  if (shape && section.shape.join('x') !== shape.join('x')) {
    throw invalid(`${where} has shape [${section.shape}], expected [${shape}] from the manifest counts`);
  }
  if (section.offset % 8 !== 0)
    throw invalid(`${where} starts at offset ${section.offset}, not 8-byte aligned`);
  const elements = section.shape.reduce((a, b) => a * b, 1);
  const expected = dtype === 'utf8-json' ? elements : elements * DTYPE_BYTES[dtype];
  if (section.length !== expected) {
    throw invalid(`${where} is ${section.length} bytes, expected ${expected} for shape [${section.shape}]`);
  }
  if (section.offset + section.length > fileBytes) {
    throw invalid(
      `${where} ends at byte ${section.offset + section.length}, past the ${fileBytes}-byte file`,
    );
  }
}

/** Names the first section whose sha256 differs, to say what broke when the file's own hash does not match. */
function corruptSection(bytes: Uint8Array, sections: readonly Section[]): string {
  for (const s of sections) {
    const actual = createHash('sha256')
      .update(bytes.subarray(s.offset, s.offset + s.length))
      .digest('hex');
    if (actual !== s.sha256) return ` (section ${s.name} differs)`;
  }
  return '';
}

/** Optional sections come in whole groups, each present exactly when the manifest says so. */
function checkGroups(m: Manifest, byName: ReadonlyMap<ItemSectionName, Section>): void {
  const present = (group: string): boolean => {
    const parts = SECTION_GROUPS[group] ?? [];
    const found = parts.filter((n) => byName.has(n)).length;
    if (found !== 0 && found !== parts.length)
      throw invalid(`${MANIFEST_FILE} lists only part of the ${group} sections`);
    return found > 0;
  };
  const metadata = present('metadata');
  const expect = (name: string, has: boolean, wanted: boolean, why: string): void => {
    if (has !== wanted)
      throw invalid(`${MANIFEST_FILE} ${has ? 'has' : 'lacks'} the ${name} sections ${why}`);
  };
  expect('cold', present('cold'), (m.counts.coldVideos ?? 0) > 0, 'against counts.coldVideos');
  if ((m.counts.coldVideos ?? 0) > 0 && !metadata)
    throw invalid(`${MANIFEST_FILE} has cold videos but no metadata`);
  expect('user_ivf', present('user_ivf'), m.userIndex?.kind === 'ivf', 'against userIndex');
  const bm25 = m.weighting?.scheme === 'bm25';
  expect('item_weight_norms', byName.has('item_weight_norms'), bm25, 'against the weighting');
}

/** Checks size and sha256 of `items.bin` and the layout of its sections against the manifest. */
export function verifyItems(m: Manifest, bytes: Uint8Array): Map<ItemSectionName, Section> {
  if (bytes.byteLength !== m.items.bytes) {
    throw sizeMismatch(ITEMS_FILE, bytes.byteLength, m.items.bytes);
  }
  const shapes = expectedShapes(m);
  const byName = new Map<ItemSectionName, Section>();
  for (const section of m.items.sections) {
    if (byName.has(section.name)) throw invalid(`${MANIFEST_FILE} lists section ${section.name} twice`);
    checkSection(section, shapes.get(section.name), bytes.byteLength);
    byName.set(section.name, section);
  }
  for (const name of shapes.keys()) {
    const optional = OPTIONAL_ITEM_SECTIONS.includes(name);
    const ivfSection = name.startsWith('ivf_');
    const required = ivfSection ? m.index.kind === 'ivf' : !optional;
    if (required && !byName.has(name)) throw invalid(`${MANIFEST_FILE} lacks the ${name} section`);
    if (ivfSection && m.index.kind !== 'ivf' && byName.has(name))
      throw invalid(`${MANIFEST_FILE} has ${name} but no ivf index`);
  }
  checkGroups(m, byName);
  const actual = sha256Hex(bytes);
  if (actual !== m.items.sha256) {
    throw invalid(
      `${ITEMS_FILE} sha256 mismatch: expected ${m.items.sha256}, got ${actual}${corruptSection(bytes, m.items.sections)}`,
    );
  }
  return byName;
}

function ascending(values: ArrayLike<number>, what: string, first?: number, last?: number): void {
  if (first !== undefined && values[0] !== first)
    throw invalid(`${ITEMS_FILE} ${what} must start at ${first}`);
  for (let i = 1; i < values.length; i++) {
    if ((values[i] as number) < (values[i - 1] as number))
      throw invalid(`${ITEMS_FILE} ${what} decreases at ${i}`);
  }
  if (last !== undefined && values[values.length - 1] !== last)
    throw invalid(`${ITEMS_FILE} ${what} must end at ${last}`);
}

/** Out-of-range values here would read past arrays at serve time, so the structure is checked once. */
/** An id table (`<prefix>_bytes/_offsets/_slots`) of `count` ids: offsets rise, each id in exactly one slot. */
function checkIdTable(table: IdTable, count: number, prefix: string): void {
  const ids = table.arrays;
  ascending(ids.offsets, `${prefix}_offsets`, 0, ids.bytes.length);
  const slots = ids.slots.length;
  if (slots < 2 * count || (slots & (slots - 1)) !== 0)
    throw invalid(`${ITEMS_FILE} ${prefix}_slots has ${slots} slots, not a power of two >= 2 x videos`);
  // Every video in exactly one slot leaves at least half the slots empty, so a lookup's probe always ends.
  const placed = new Uint8Array(count);
  for (const s of ids.slots) {
    if (s < 0 || s > count) throw invalid(`${ITEMS_FILE} ${prefix}_slots holds ${s}, outside 0..${count}`);
    if (s === 0) continue;
    if (placed[s - 1]) throw invalid(`${ITEMS_FILE} ${prefix}_slots holds video ${s - 1} twice`);
    placed[s - 1] = 1;
  }
  const unplaced = placed.indexOf(0);
  if (unplaced >= 0) throw invalid(`${ITEMS_FILE} ${prefix}_slots lacks video ${unplaced}`);
}

function checkStructure(view: ItemSideView, m: Manifest): void {
  checkIdTable(view.videoIds, view.videos, 'video_id');
  const seen = new Uint8Array(view.videos);
  for (const row of view.popularityOrder) {
    if (row < 0 || row >= view.videos || seen[row])
      throw invalid(`${ITEMS_FILE} popularity_order is not a permutation of the videos`);
    seen[row] = 1;
  }
  if (view.ivf) ascending(view.ivf.offsets, 'ivf_offsets', 0, view.videos);
  if (view.metadata) {
    ascending(view.metadata.offsets, 'metadata_offsets', 0, view.metadata.bytes.length);
    for (const row of view.metadata.postings)
      if (row < 0 || row >= view.videos)
        throw invalid(`${ITEMS_FILE} metadata_postings holds row ${row}, outside the videos`);
    for (const kind of ['language', 'tags'] as const) {
      for (const [key, [start, count]] of Object.entries(view.metadata.index[kind])) {
        if (start + count > view.metadata.postings.length)
          throw invalid(
            `${ITEMS_FILE} metadata_index ${kind} ${JSON.stringify(key)} points past the postings`,
          );
      }
    }
  }
  ascending(view.users.hashes, 'user_block_hashes');
  const blocksEnd = view.userIvf ? (view.userIvf.offsets[0] as number) : m.users.bytes;
  ascending(view.users.offsets, 'user_block_offsets', 0, blocksEnd);
  if (view.userIvf) ascending(view.userIvf.offsets, 'user_ivf_offsets', undefined, m.users.bytes);
  if (view.cold) {
    checkIdTable(view.cold.videoIds, view.cold.metadata.offsets.length - 1, 'cold_video_id');
    ascending(view.cold.metadata.offsets, 'cold_metadata_offsets', 0, view.cold.metadata.bytes.length);
  }
}

/**
 * Typed views of an `items.bin` that {@link verifyItems} (and {@link decodeItems}) already accepted,
 * for threads that receive a model the loader verified: no hashing, no scans.
 */
export function viewItems(m: Manifest, bytes: Uint8Array): ItemSideView {
  if (bytes.byteOffset % 8 !== 0) throw new RangeError('items.bin must be loaded at an 8-aligned offset');
  const sections = new Map(m.items.sections.map((s) => [s.name, s]));
  const at = (name: ItemSectionName): Section | undefined => sections.get(name);
  const view = <T>(
    name: ItemSectionName,
    ctor: new (b: ArrayBufferLike, o: number, l: number) => T,
    width: number,
  ): T => {
    const s = at(name)!;
    return new ctor(bytes.buffer, bytes.byteOffset + s.offset, s.length / width);
  };
  const u8 = (name: ItemSectionName): Uint8Array => view(name, Uint8Array, 1);
  const { videos, factors } = m.counts;
  let metadata: ItemSideView['metadata'];
  if (at('metadata_index')) {
    let index: MetadataIndexJson;
    try {
      index = metadataIndexSchema.parse(JSON.parse(Buffer.from(u8('metadata_index')).toString('utf8')));
    } catch (error) {
      throw invalid(`${ITEMS_FILE} section metadata_index is not a valid index`, error);
    }
    metadata = {
      bytes: u8('metadata_bytes'),
      offsets: view('metadata_offsets', Int32Array, 4),
      index,
      postings: view('metadata_postings', Int32Array, 4),
    };
  }
  return {
    factors,
    videos,
    itemFactors: view('item_factors', Float32Array, 4),
    inverseNorms: view('item_inverse_norms', Float32Array, 4),
    popularity: view('popularity', Float32Array, 4),
    popularityOrder: view('popularity_order', Int32Array, 4),
    videoIds: new IdTable({
      bytes: u8('video_id_bytes'),
      offsets: view('video_id_offsets', Int32Array, 4),
      slots: view('video_id_slots', Int32Array, 4),
    }),
    gram: view('gram', Float64Array, 8),
    ivf:
      at('ivf_centroids') && m.index.kind === 'ivf'
        ? {
            centroids: view('ivf_centroids', Float32Array, 4),
            offsets: view('ivf_offsets', Int32Array, 4),
            lists: m.index.lists,
          }
        : undefined,
    metadata,
    users: {
      hashes: view('user_block_hashes', Uint32Array, 4),
      offsets: view('user_block_offsets', Float64Array, 8),
      digests: view('user_block_digests', Uint32Array, 4),
    },
    ...optionalViews(m, at, view),
  };
}

type SectionView = <T>(
  name: ItemSectionName,
  ctor: new (b: ArrayBufferLike, o: number, l: number) => T,
  width: number,
) => T;

/** Views of the optional groups that are present: bm25 norms, cold videos, the similar-users index. */
function optionalViews(
  m: Manifest,
  at: (name: ItemSectionName) => Section | undefined,
  view: SectionView,
): Pick<ItemSideView, 'weightNorms' | 'cold' | 'userIvf'> {
  const out: Pick<ItemSideView, 'weightNorms' | 'cold' | 'userIvf'> = {};
  if (at('item_weight_norms')) out.weightNorms = view('item_weight_norms', Float64Array, 8);
  if (at('cold_video_id_bytes')) {
    out.cold = {
      videoIds: new IdTable({
        bytes: view('cold_video_id_bytes', Uint8Array, 1),
        offsets: view('cold_video_id_offsets', Int32Array, 4),
        slots: view('cold_video_id_slots', Int32Array, 4),
      }),
      metadata: {
        bytes: view('cold_metadata_bytes', Uint8Array, 1),
        offsets: view('cold_metadata_offsets', Int32Array, 4),
      },
    };
  }
  if (at('user_ivf_centroids') && m.userIndex?.kind === 'ivf') {
    out.userIvf = {
      centroids: view('user_ivf_centroids', Float32Array, 4),
      offsets: view('user_ivf_offsets', Float64Array, 8),
      digests: view('user_ivf_digests', Uint32Array, 4),
      lists: m.userIndex.lists,
    };
  }
  return out;
}

/**
 * Verifies `items.bin` (size, sha256, section layout, structure) and returns typed views onto
 * `bytes`, whose offset in its buffer must be 8-aligned (serving loads it straight into the shared
 * scoring memory).
 * @throws ArtifactInvalidError naming the file or section that failed
 * @example
 * const items = decodeItems(manifest, itemsBytes);
 * items.videoIds.indexOf('v001');
 */
export function decodeItems(m: Manifest, bytes: Uint8Array): ItemSideView {
  if (bytes.byteOffset % 8 !== 0) throw new RangeError('items.bin must be loaded at an 8-aligned offset');
  verifyItems(m, bytes);
  const view = viewItems(m, bytes);
  checkStructure(view, m);
  return view;
}

/**
 * The artifact format shared by training (writer) and serving (reader), version 2: the manifest
 * schema, the files of a version, their sections, and the `latest.json` pointer. See DESIGN.md
 * "Artifacts".
 *
 * A version is two files. `items.bin` holds the item side, read whole at start and verified by
 * sha256: item factors (in ANN-list order when an index is built), ids and their lookup table,
 * popularity, metadata and its filter index, YᵀY for fold-in, the ANN index, and the directory of
 * the user blocks. `users.bin` holds the user side as blocks of users (ordered by id hash), each
 * block verified by its own digest when it is read, so a server can read one user on demand.
 * @module
 */
import { z } from 'zod';

/** Version of the on-disk layout written today; readers also accept {@link V1_FORMAT_VERSION}. */
export const FORMAT_VERSION = 2;
/** The first layout (one `model.bin`, every user loaded at start); still readable. */
export const V1_FORMAT_VERSION = 1;

export const ITEMS_FILE = 'items.bin';
export const USERS_FILE = 'users.bin';
/** Name of the manifest inside a version folder. */
export const MANIFEST_FILE = 'manifest.json';
/** Name of the pointer at the root, written last by a publish. */
export const POINTER_FILE = 'latest.json';

/** Every section starts at a multiple of this many bytes, so typed-array views need no copy. */
export const SECTION_ALIGNMENT = 64;

/** Element types a section may hold: little-endian numbers, bytes, or one UTF-8 JSON document. */
export const DTYPES = ['float32', 'float64', 'int32', 'uint32', 'uint8', 'utf8-json'] as const;
export type Dtype = (typeof DTYPES)[number];

/** Bytes per element of each numeric dtype. */
export const DTYPE_BYTES: Record<Exclude<Dtype, 'utf8-json'>, number> = {
  float32: 4,
  float64: 8,
  int32: 4,
  uint32: 4,
  uint8: 1,
};

/**
 * The sections of `items.bin`; the `ivf_*` pair is there when an ANN index was built, `metadata_*` with video
 * metadata. Optional groups added within format 2 (readers before them refuse a version that has them; a
 * version without them is byte-for-byte what those readers read): `item_weight_norms` with bm25 weighting,
 * `cold_*` for videos that have metadata but no interactions, `user_ivf_*` for the similar-users index.
 */
export const ITEM_SECTIONS = {
  item_factors: 'float32',
  item_inverse_norms: 'float32',
  popularity: 'float32',
  popularity_order: 'int32',
  video_id_bytes: 'uint8',
  video_id_offsets: 'int32',
  video_id_slots: 'int32',
  gram: 'float64',
  ivf_centroids: 'float32',
  ivf_offsets: 'int32',
  metadata_bytes: 'uint8',
  metadata_offsets: 'int32',
  metadata_index: 'utf8-json',
  metadata_postings: 'int32',
  user_block_hashes: 'uint32',
  user_block_offsets: 'float64',
  user_block_digests: 'uint32',
  item_weight_norms: 'float64',
  cold_video_id_bytes: 'uint8',
  cold_video_id_offsets: 'int32',
  cold_video_id_slots: 'int32',
  cold_metadata_bytes: 'uint8',
  cold_metadata_offsets: 'int32',
  user_ivf_centroids: 'float32',
  user_ivf_offsets: 'float64',
  user_ivf_digests: 'uint32',
} as const satisfies Record<string, Dtype>;
export type ItemSectionName = keyof typeof ITEM_SECTIONS;
export const OPTIONAL_ITEM_SECTIONS: readonly ItemSectionName[] = [
  'ivf_centroids',
  'ivf_offsets',
  'metadata_bytes',
  'metadata_offsets',
  'metadata_index',
  'metadata_postings',
  'item_weight_norms',
  'cold_video_id_bytes',
  'cold_video_id_offsets',
  'cold_video_id_slots',
  'cold_metadata_bytes',
  'cold_metadata_offsets',
  'user_ivf_centroids',
  'user_ivf_offsets',
  'user_ivf_digests',
];

/** Sections that come all together or not at all. */
export const SECTION_GROUPS: Readonly<Record<string, readonly ItemSectionName[]>> = {
  metadata: ['metadata_bytes', 'metadata_offsets', 'metadata_index', 'metadata_postings'],
  cold: [
    'cold_video_id_bytes',
    'cold_video_id_offsets',
    'cold_video_id_slots',
    'cold_metadata_bytes',
    'cold_metadata_offsets',
  ],
  user_ivf: ['user_ivf_centroids', 'user_ivf_offsets', 'user_ivf_digests'],
};

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex characters');
const count = z.number().int().nonnegative();

export const sectionSchema = z.object({
  name: z.enum(Object.keys(ITEM_SECTIONS) as [ItemSectionName, ...ItemSectionName[]]),
  dtype: z.enum(DTYPES),
  /** numeric: element shape; utf8-json: [bytes] */
  shape: z.array(count),
  offset: count,
  length: count,
  sha256: sha256Hex,
});
export type Section = z.infer<typeof sectionSchema>;

export const alsParamsSchema = z.object({
  factors: z.number().int().positive(),
  regularization: z.number().nonnegative(),
  alpha: z.number().nonnegative(),
  iterations: z.number().int().nonnegative(),
  cgSteps: z.number().int().nonnegative(),
  threads: z.number().int().positive(),
  seed: z.number().int(),
});

/** A version id: sortable UTC timestamp, then a short hash of the content, e.g. `20250101T102000Z-1a2b3c4d`. */
export const versionIdSchema = z
  .string()
  .regex(/^\d{8}T\d{6}Z-[0-9a-f]{8}$/, 'must look like 20250101T102000Z-1a2b3c4d');

export const countsSchema = z.object({
  users: count,
  videos: count,
  factors: z.number().int().positive(),
  /** non-zero (user, video) pairs in the watch histories */
  interactions: count,
  /** raw event rows that were summed into those pairs, when known */
  events: count.optional(),
  /** videos with metadata but no interactions (the `cold_*` sections), when there are any */
  coldVideos: count.optional(),
});

/** How the first pass of scoring finds candidates: every video, or an inverted-file (IVF) index. */
export const indexSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('exact') }),
  z.object({
    kind: z.literal('ivf'),
    /** number of lists (clusters) */
    lists: z.number().int().positive(),
    /** lists probed per query by default, chosen at build time for the recall below */
    nprobe: z.number().int().positive(),
    /** mean recall@10 against exact scoring over `queries` training users, at `nprobe` */
    recallAt10: z.number().min(0).max(1),
    queries: count,
  }),
]);
export type IndexInfo = z.infer<typeof indexSchema>;

/** The confidence weighting training applied (absent: none); fold-in and explanations apply it too. */
export const weightingSchema = z.discriminatedUnion('scheme', [
  z.object({ scheme: z.literal('none') }),
  z.object({ scheme: z.literal('tfidf') }),
  z.object({ scheme: z.literal('bm25'), k1: z.number().nonnegative(), b: z.number().min(0).max(1) }),
]);

/** The fields every format version's manifest has, whatever its files. */
export const manifestHeader = {
  version: versionIdSchema,
  createdAt: z.iso.datetime(),
  params: alsParamsSchema,
  counts: countsSchema,
  /** free-form evaluation results (e.g. precision@10 for ALS and the baseline) */
  metrics: z.record(z.string(), z.unknown()),
  dataset: z.object({ digest: z.string().min(1) }),
};

export const manifestSchema = z.object({
  formatVersion: z.literal(FORMAT_VERSION),
  ...manifestHeader,
  items: z.object({
    file: z.literal(ITEMS_FILE),
    bytes: count,
    sha256: sha256Hex,
    sections: z.array(sectionSchema),
  }),
  users: z.object({
    file: z.literal(USERS_FILE),
    bytes: count,
    sha256: sha256Hex,
    /** number of user blocks */
    blocks: count,
  }),
  index: indexSchema,
  /** the index over user factors for similar users (absent: users are scanned) */
  userIndex: indexSchema.optional(),
  weighting: weightingSchema.optional(),
  /** the hyper-parameter search that chose `params` (`npm run train -- --tune`) */
  tuning: z.record(z.string(), z.unknown()).optional(),
});
/** The parsed `manifest.json` of one model version. */
export type Manifest = z.infer<typeof manifestSchema>;

export const pointerSchema = z.object({
  version: versionIdSchema,
  manifest: z.string().min(1),
});
/** The parsed `latest.json`: which version readers should load. */
export type Pointer = z.infer<typeof pointerSchema>;

/** Path of a version's folder relative to the artifact root. */
export function versionDir(version: string): string {
  return `models/${version}`;
}

/** Builds the pointer document for a version, as written to `latest.json`. */
export function pointerFor(version: string): Pointer {
  return { version, manifest: `${versionDir(version)}/${MANIFEST_FILE}` };
}

/** `20250101T102000Z`: sorts lexically in time order. */
export function timestampId(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The artifact format shared by training (writer) and serving (reader): the manifest schema, the
 * section layout of `model.bin`, and the `latest.json` pointer. See DESIGN.md "Artifacts".
 * @module
 */
import { z } from 'zod';

/** Version of the on-disk layout; a reader refuses any other value. Bump on incompatible changes. */
export const FORMAT_VERSION = 1;

/** Name of the binary bundle inside a version folder. */
export const BUNDLE_FILE = 'model.bin';
/** Name of the manifest inside a version folder. */
export const MANIFEST_FILE = 'manifest.json';
/** Name of the pointer at the root, written last by a publish. */
export const POINTER_FILE = 'latest.json';

/**
 * Every section starts at a multiple of this many bytes, so Float32Array / Int32Array (and Float64Array,
 * should one appear) views can be made directly onto the loaded buffer without a copy.
 */
export const SECTION_ALIGNMENT = 64;

/** Element types a section may hold: little-endian numbers, or one UTF-8 JSON document. */
export const DTYPES = ['float32', 'int32', 'utf8-json'] as const;
export type Dtype = (typeof DTYPES)[number];

/** Section names in bundle order; `metadata` is present only when the model carries video metadata. */
export const SECTION_NAMES = [
  'item_factors',
  'user_factors',
  'user_ids',
  'video_ids',
  'seen_indptr',
  'seen_indices',
  'seen_data',
  'popularity',
  'metadata',
] as const;
export type SectionName = (typeof SECTION_NAMES)[number];

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex characters');
const count = z.number().int().nonnegative();

export const sectionSchema = z.object({
  name: z.enum(SECTION_NAMES),
  dtype: z.enum(DTYPES),
  /** numeric: element shape; utf8-json: [number of array entries] */
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

/** A version id: sortable UTC timestamp, then a short hash of the bundle, e.g. `20250101T102000Z-1a2b3c4d`. */
export const versionIdSchema = z
  .string()
  .regex(/^\d{8}T\d{6}Z-[0-9a-f]{8}$/, 'must look like 20250101T102000Z-1a2b3c4d');

export const manifestSchema = z.object({
  formatVersion: z.literal(FORMAT_VERSION),
  version: versionIdSchema,
  createdAt: z.iso.datetime(),
  params: alsParamsSchema,
  counts: z.object({
    users: count,
    videos: count,
    factors: z.number().int().positive(),
    /** non-zero (user, video) pairs in the seen matrix */
    interactions: count,
    /** raw event rows that were summed into those pairs, when known */
    events: count.optional(),
  }),
  /** free-form evaluation results (e.g. precision@10 for ALS and the baseline) */
  metrics: z.record(z.string(), z.unknown()),
  dataset: z.object({ digest: z.string().min(1) }),
  bundle: z.object({ file: z.literal(BUNDLE_FILE), bytes: count, sha256: sha256Hex }),
  sections: z.array(sectionSchema),
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

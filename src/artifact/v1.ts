/**
 * Reads and verifies a format-1 model (one `model.bin` holding every section, users included), so
 * models published before format 2 still load: the loader converts them in memory
 * (`src/artifact/encode.ts`) and `npm run artifact:convert` rewrites them as format 2.
 * @module
 */
import { z } from 'zod';
import { ArtifactInvalidError } from '../core/errors.js';
import type { Csr, ModelData, VideoMeta } from '../core/model-data.js';
import { sha256Hex, sizeMismatch } from './checks.js';
import { checkedManifest } from './decode.js';
import { MANIFEST_FILE, manifestHeader, V1_FORMAT_VERSION } from './format.js';

/** The bundle of a v1 version. */
export const V1_BUNDLE_FILE = 'model.bin';
const BUNDLE_FILE = V1_BUNDLE_FILE;
const FORMAT_VERSION = V1_FORMAT_VERSION;

const V1_SECTION_NAMES = [
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
type SectionName = (typeof V1_SECTION_NAMES)[number];
type Dtype = 'float32' | 'int32' | 'utf8-json';
const sha256Schema = z.string().regex(/^[0-9a-f]{64}$/);
const count = z.number().int().nonnegative();
const sectionSchema = z.object({
  name: z.enum(V1_SECTION_NAMES),
  dtype: z.enum(['float32', 'int32', 'utf8-json']),
  shape: z.array(count),
  offset: count,
  length: count,
  sha256: sha256Schema,
});
type Section = z.infer<typeof sectionSchema>;
const manifestSchema = z.object({
  formatVersion: z.literal(V1_FORMAT_VERSION),
  ...manifestHeader,
  bundle: z.object({ file: z.literal(V1_BUNDLE_FILE), bytes: count, sha256: sha256Schema }),
  sections: z.array(sectionSchema),
});
/** The manifest of a v1 version. */
export type V1Manifest = z.infer<typeof manifestSchema>;

/** A verified model: its version id, manifest, and the model whose arrays view the bundle. */
export interface V1Model {
  version: string;
  manifest: V1Manifest;
  model: ModelData;
}

interface Expected {
  dtype: Dtype;
  shape: number[];
}

const videoMetaSchema = z.looseObject({
  title: z.string().optional(),
  lengthSeconds: z.number().optional(),
  tags: z.array(z.string()).optional(),
  language: z.string().optional(),
  likes: z.number().optional(),
  views: z.number().optional(),
});
const metadataSchema = z.array(videoMetaSchema.nullable());
const idsSchema = z.array(z.string());

const textDecoder = new TextDecoder('utf-8', { fatal: true });

function invalid(message: string, cause?: unknown): ArtifactInvalidError {
  return new ArtifactInvalidError(message, cause === undefined ? undefined : { cause });
}

/** Validates a format-1 manifest; another format version gets a message that says which. */
export function parseV1Manifest(manifest: unknown): V1Manifest {
  return checkedManifest(manifest, FORMAT_VERSION, manifestSchema);
}

function expectedSections(manifest: V1Manifest): Map<SectionName, Expected> {
  const { users, videos, factors, interactions } = manifest.counts;
  return new Map<SectionName, Expected>([
    ['item_factors', { dtype: 'float32', shape: [videos, factors] }],
    ['user_factors', { dtype: 'float32', shape: [users, factors] }],
    ['user_ids', { dtype: 'utf8-json', shape: [users] }],
    ['video_ids', { dtype: 'utf8-json', shape: [videos] }],
    ['seen_indptr', { dtype: 'int32', shape: [users + 1] }],
    ['seen_indices', { dtype: 'int32', shape: [interactions] }],
    ['seen_data', { dtype: 'float32', shape: [interactions] }],
    ['popularity', { dtype: 'float32', shape: [videos] }],
    ['metadata', { dtype: 'utf8-json', shape: [videos] }],
  ]);
}

function checkSection(section: Section, expected: Expected, bundleBytes: number): void {
  const where = `${BUNDLE_FILE} section ${section.name}`;
  if (section.dtype !== expected.dtype)
    throw invalid(`${where} has dtype ${section.dtype}, expected ${expected.dtype}`);
  if (section.shape.join('x') !== expected.shape.join('x')) {
    throw invalid(
      `${where} has shape [${section.shape}], expected [${expected.shape}] from the manifest counts`,
    );
  }
  if (section.dtype !== 'utf8-json') {
    if (section.offset % 8 !== 0)
      throw invalid(`${where} starts at offset ${section.offset}, not 8-byte aligned`);
    const elements = section.shape.reduce((a, b) => a * b, 1);
    if (section.length !== elements * 4) {
      throw invalid(
        `${where} is ${section.length} bytes, expected ${elements * 4} for shape [${section.shape}]`,
      );
    }
  }
  if (section.offset + section.length > bundleBytes) {
    throw invalid(
      `${where} ends at byte ${section.offset + section.length}, past the ${bundleBytes}-byte bundle`,
    );
  }
}

/** Guarantees the buffer offset suits 4-byte views; only small pooled Buffers ever need the copy. */
function aligned(bundle: Uint8Array): Uint8Array {
  if (bundle.byteOffset % 8 === 0) return bundle;
  return new Uint8Array(bundle);
}

function parseJson<T>(name: string, bytes: Uint8Array, schema: z.ZodType<T>): T {
  let value: unknown;
  try {
    value = JSON.parse(textDecoder.decode(bytes));
  } catch (error) {
    throw invalid(`${BUNDLE_FILE} section ${name} is not valid UTF-8 JSON`, error);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalid(
      `${BUNDLE_FILE} section ${name} is malformed at ${issue?.path.join('.')}: ${issue?.message}`,
    );
  }
  return parsed.data;
}

function checkIds(name: string, ids: readonly string[]): void {
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) throw invalid(`${BUNDLE_FILE} section ${name} repeats the id ${JSON.stringify(id)}`);
    seen.add(id);
  }
}

/** Out-of-range indices would read past the factor arrays at serve time, so the structure is checked once here. */
function checkCsr(csr: Csr): void {
  const { indptr, indices } = csr;
  if (indptr[0] !== 0 || indptr[csr.rows] !== indices.length) {
    throw invalid(`${BUNDLE_FILE} seen matrix: indptr must start at 0 and end at ${indices.length}`);
  }
  for (let r = 0; r < csr.rows; r++) {
    const start = indptr[r]!;
    const end = indptr[r + 1]!;
    if (end < start) throw invalid(`${BUNDLE_FILE} seen matrix: indptr decreases at row ${r}`);
    let previous = -1;
    for (let p = start; p < end; p++) {
      const c = indices[p]!;
      if (c <= previous || c >= csr.cols) {
        throw invalid(`${BUNDLE_FILE} seen matrix: row ${r} has column ${c} out of range or out of order`);
      }
      previous = c;
    }
  }
}

/**
 * Verifies a bundle against its manifest and returns the model, its numeric arrays viewing `bundle`'s buffer.
 * Checks, in order: format version, manifest schema, bundle size, section layout and shapes against the
 * counts, every section's sha256, the whole bundle's sha256, id lists, and the seen matrix structure.
 * @param manifest - the parsed JSON of `manifest.json` (validated here)
 * @param bundle - the bytes of `model.bin`; keep it alive as long as the model is served
 * @throws ArtifactInvalidError naming the file or section that failed
 */
export function decodeV1Model(manifest: unknown, bundle: Uint8Array): V1Model {
  const m = parseV1Manifest(manifest);
  if (bundle.byteLength !== m.bundle.bytes) {
    throw sizeMismatch(BUNDLE_FILE, bundle.byteLength, m.bundle.bytes);
  }
  const bytes = aligned(bundle);
  const expected = expectedSections(m);
  const byName = new Map<SectionName, Section>();
  for (const section of m.sections) {
    if (byName.has(section.name)) throw invalid(`${MANIFEST_FILE} lists section ${section.name} twice`);
    checkSection(section, expected.get(section.name)!, bytes.byteLength);
    byName.set(section.name, section);
  }
  for (const name of expected.keys()) {
    if (name !== 'metadata' && !byName.has(name)) throw invalid(`${MANIFEST_FILE} lacks the ${name} section`);
  }
  const slice = (section: Section): Uint8Array =>
    bytes.subarray(section.offset, section.offset + section.length);
  for (const section of byName.values()) {
    const actual = sha256Hex(slice(section));
    if (actual !== section.sha256) {
      throw invalid(
        `${BUNDLE_FILE} section ${section.name} sha256 mismatch: expected ${section.sha256}, got ${actual}`,
      );
    }
  }
  const bundleSha = sha256Hex(bytes);
  if (bundleSha !== m.bundle.sha256) {
    throw invalid(`${BUNDLE_FILE} sha256 mismatch: expected ${m.bundle.sha256}, got ${bundleSha}`);
  }

  const section = (name: SectionName): Section => byName.get(name)!;
  const f32 = (name: SectionName): Float32Array => {
    const s = section(name);
    return new Float32Array(bytes.buffer, bytes.byteOffset + s.offset, s.length / 4);
  };
  const i32 = (name: SectionName): Int32Array => {
    const s = section(name);
    return new Int32Array(bytes.buffer, bytes.byteOffset + s.offset, s.length / 4);
  };
  const userIds = parseJson('user_ids', slice(section('user_ids')), idsSchema);
  const videoIds = parseJson('video_ids', slice(section('video_ids')), idsSchema);
  if (userIds.length !== m.counts.users || videoIds.length !== m.counts.videos) {
    throw invalid(
      `${BUNDLE_FILE} id sections hold ${userIds.length} users and ${videoIds.length} videos, the manifest counts differ`,
    );
  }
  checkIds('user_ids', userIds);
  checkIds('video_ids', videoIds);
  const metaSection = byName.get('metadata');
  const metadata: (VideoMeta | null)[] | null = metaSection
    ? parseJson('metadata', slice(metaSection), metadataSchema)
    : null;
  if (metadata !== null && metadata.length !== m.counts.videos) {
    throw invalid(
      `${BUNDLE_FILE} section metadata holds ${metadata.length} entries, expected ${m.counts.videos}`,
    );
  }
  const seen: Csr = {
    rows: m.counts.users,
    cols: m.counts.videos,
    indptr: i32('seen_indptr'),
    indices: i32('seen_indices'),
    data: f32('seen_data'),
  };
  checkCsr(seen);

  return {
    version: m.version,
    manifest: m,
    model: {
      factors: m.counts.factors,
      userIds,
      videoIds,
      userFactors: f32('user_factors'),
      itemFactors: f32('item_factors'),
      seen,
      popularity: f32('popularity'),
      metadata,
    },
  };
}

/**
 * Writes a {@link ModelData} into the artifact format: one aligned little-endian bundle and its manifest.
 * @module
 */
import { createHash } from 'node:crypto';
import { ArtifactInvalidError } from '../core/errors.js';
import type { AlsParams, ModelData } from '../core/model-data.js';
import {
  BUNDLE_FILE,
  type Dtype,
  FORMAT_VERSION,
  type Manifest,
  SECTION_ALIGNMENT,
  type Section,
  type SectionName,
} from './format.js';

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
}

/** A model ready to publish: the manifest and the bytes of `model.bin`. */
export interface EncodedArtifact {
  manifest: Manifest;
  bundle: Uint8Array;
}

interface PendingSection {
  name: SectionName;
  dtype: Dtype;
  shape: number[];
  bytes: Uint8Array;
}

const textEncoder = new TextEncoder();

// Typed arrays are little-endian on every platform Node ships for; the format is defined as little-endian.
const isLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function numeric(
  name: SectionName,
  dtype: 'float32' | 'int32',
  shape: number[],
  array: Float32Array | Int32Array,
): PendingSection {
  return { name, dtype, shape, bytes: new Uint8Array(array.buffer, array.byteOffset, array.byteLength) };
}

function json(name: SectionName, values: readonly unknown[]): PendingSection {
  return {
    name,
    dtype: 'utf8-json',
    shape: [values.length],
    bytes: textEncoder.encode(JSON.stringify(values)),
  };
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function alignUp(offset: number): number {
  return Math.ceil(offset / SECTION_ALIGNMENT) * SECTION_ALIGNMENT;
}

/** `20250101T102000Z`: sorts lexically in time order. */
function timestampId(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
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
  if (model.seen.rows !== users || model.seen.cols !== videos) {
    problems.push(`seen is ${model.seen.rows}x${model.seen.cols}, expected ${users}x${videos}`);
  }
  if (model.seen.indptr.length !== users + 1)
    problems.push(`seen.indptr has ${model.seen.indptr.length} entries, expected ${users + 1}`);
  if (model.seen.indices.length !== model.seen.data.length)
    problems.push('seen.indices and seen.data differ in length');
  if (model.popularity.length !== videos)
    problems.push(`popularity has ${model.popularity.length} values, expected ${videos}`);
  if (model.metadata !== null && model.metadata.length !== videos) {
    problems.push(`metadata has ${model.metadata.length} entries, expected ${videos}`);
  }
  if (problems.length > 0) throw new ArtifactInvalidError(`Cannot encode model: ${problems.join('; ')}`);
}

/**
 * Lays the model out as aligned sections in one bundle and describes them in a manifest.
 * The version id is the creation time plus the first 8 hex digits of the bundle's sha256.
 * @param model - the trained model (arrays are copied into the bundle, not retained)
 * @param info - params, data set digest and metrics recorded in the manifest
 * @throws ArtifactInvalidError when the model's arrays disagree with its id lists or factor count
 */
export function encodeModel(model: ModelData, info: ManifestInput): EncodedArtifact {
  if (!isLittleEndian) throw new ArtifactInvalidError('Cannot encode model: this platform is big-endian');
  checkModel(model);
  const users = model.userIds.length;
  const videos = model.videoIds.length;
  const k = model.factors;
  const nnz = model.seen.indices.length;
  const pending: PendingSection[] = [
    numeric('item_factors', 'float32', [videos, k], model.itemFactors),
    numeric('user_factors', 'float32', [users, k], model.userFactors),
    json('user_ids', model.userIds),
    json('video_ids', model.videoIds),
    numeric('seen_indptr', 'int32', [users + 1], model.seen.indptr),
    numeric('seen_indices', 'int32', [nnz], model.seen.indices),
    numeric('seen_data', 'float32', [nnz], model.seen.data),
    numeric('popularity', 'float32', [videos], model.popularity),
  ];
  if (model.metadata !== null) pending.push(json('metadata', model.metadata));

  let offset = 0;
  const sections: Section[] = pending.map((section) => {
    offset = alignUp(offset);
    const placed: Section = {
      name: section.name,
      dtype: section.dtype,
      shape: section.shape,
      offset,
      length: section.bytes.byteLength,
      sha256: sha256(section.bytes),
    };
    offset += section.bytes.byteLength;
    return placed;
  });
  const bundle = new Uint8Array(alignUp(offset));
  pending.forEach((section, i) => {
    bundle.set(section.bytes, sections[i]!.offset);
  });

  const bundleSha = sha256(bundle);
  const createdAt = info.createdAt ?? new Date();
  const manifest: Manifest = {
    formatVersion: FORMAT_VERSION,
    version: `${timestampId(createdAt)}-${bundleSha.slice(0, 8)}`,
    createdAt: createdAt.toISOString(),
    params: { ...info.params },
    counts: {
      users,
      videos,
      factors: k,
      interactions: nnz,
      ...(info.events === undefined ? {} : { events: info.events }),
    },
    metrics: info.metrics ?? {},
    dataset: { digest: info.datasetDigest },
    bundle: { file: BUNDLE_FILE, bytes: bundle.byteLength, sha256: bundleSha },
    sections,
  };
  return { manifest, bundle };
}

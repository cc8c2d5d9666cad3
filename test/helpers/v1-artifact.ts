/**
 * The format-1 writer as it was before format 2 (one aligned `model.bin` and its manifest), kept here
 * only to make fixtures that check format-1 versions still load.
 * @module
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ManifestInput } from '../../src/artifact/encode.js';
import { pointerFor, timestampId, versionDir } from '../../src/artifact/format.js';
import { V1_BUNDLE_FILE, type V1Manifest } from '../../src/artifact/v1.js';
import type { ModelData } from '../../src/core/model-data.js';

/** A format-1 version: its manifest and the bytes of `model.bin`. */
export interface V1Artifact {
  manifest: V1Manifest;
  bundle: Uint8Array;
}

type V1Section = V1Manifest['sections'][number];

const textEncoder = new TextEncoder();
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const raw = (a: Float32Array | Int32Array): Uint8Array =>
  new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Lays a model out as format 1: aligned sections in bundle order, version id from the bundle's sha256. */
export function encodeV1Model(model: ModelData, info: ManifestInput): V1Artifact {
  const users = model.userIds.length;
  const videos = model.videoIds.length;
  const k = model.factors;
  const nnz = model.seen.indices.length;
  const json = (values: readonly unknown[]): Uint8Array => textEncoder.encode(JSON.stringify(values));
  const pending: [V1Section['name'], V1Section['dtype'], number[], Uint8Array][] = [
    ['item_factors', 'float32', [videos, k], raw(model.itemFactors)],
    ['user_factors', 'float32', [users, k], raw(model.userFactors)],
    ['user_ids', 'utf8-json', [users], json(model.userIds)],
    ['video_ids', 'utf8-json', [videos], json(model.videoIds)],
    ['seen_indptr', 'int32', [users + 1], raw(model.seen.indptr)],
    ['seen_indices', 'int32', [nnz], raw(model.seen.indices)],
    ['seen_data', 'float32', [nnz], raw(model.seen.data)],
    ['popularity', 'float32', [videos], raw(model.popularity)],
  ];
  if (model.metadata !== null) pending.push(['metadata', 'utf8-json', [videos], json(model.metadata)]);
  let offset = 0;
  const sections: V1Section[] = pending.map(([name, dtype, shape, bytes]) => {
    offset = Math.ceil(offset / 64) * 64;
    const section = { name, dtype, shape, offset, length: bytes.byteLength, sha256: sha256(bytes) };
    offset += bytes.byteLength;
    return section;
  });
  const bundle = new Uint8Array(Math.ceil(offset / 64) * 64);
  pending.forEach(([, , , bytes], i) => {
    bundle.set(bytes, sections[i]!.offset);
  });
  const createdAt = info.createdAt ?? new Date();
  const bundleSha = sha256(bundle);
  const manifest: V1Manifest = {
    formatVersion: 1,
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
    bundle: { file: V1_BUNDLE_FILE, bytes: bundle.byteLength, sha256: bundleSha },
    sections,
  };
  return { manifest, bundle };
}

/** The files of a format-1 version relative to the artifact root, pointer included (as a v1 publish wrote them). */
export function v1Files(artifact: V1Artifact, withPointer = true): Record<string, Uint8Array> {
  const dir = versionDir(artifact.manifest.version);
  return {
    [`${dir}/${V1_BUNDLE_FILE}`]: artifact.bundle,
    [`${dir}/manifest.json`]: textEncoder.encode(`${JSON.stringify(artifact.manifest, null, 2)}\n`),
    ...(withPointer && {
      'latest.json': textEncoder.encode(
        `${JSON.stringify(pointerFor(artifact.manifest.version), null, 2)}\n`,
      ),
    }),
  };
}

/** Writes a format-1 version (and its pointer) under a local root. */
export async function publishV1Local(root: string, artifact: V1Artifact, withPointer = true): Promise<void> {
  for (const [path, bytes] of Object.entries(v1Files(artifact, withPointer))) {
    const file = join(root, ...path.split('/'));
    await mkdir(join(file, '..'), { recursive: true });
    await writeFile(file, bytes);
  }
}

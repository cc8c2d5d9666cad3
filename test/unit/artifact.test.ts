import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../../src/artifact/decode.js';
import { encodeModel, type ManifestInput } from '../../src/artifact/encode.js';
import { FORMAT_VERSION, type Manifest, SECTION_ALIGNMENT } from '../../src/artifact/format.js';
import { ArtifactInvalidError } from '../../src/core/errors.js';
import { tinyModel } from '../helpers/tiny-model.js';

const info: ManifestInput = {
  params: { factors: 4, regularization: 0.01, alpha: 1, iterations: 15, cgSteps: 3, threads: 1, seed: 42 },
  datasetDigest: 'sha256:abc',
  metrics: { als: { 'precision@10': 0.25 } },
  events: 99,
  createdAt: new Date('2025-01-02T03:04:05.678Z'),
};

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function refused(run: () => unknown): ArtifactInvalidError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ArtifactInvalidError);
    return error as ArtifactInvalidError;
  }
  throw new Error('expected ArtifactInvalidError, nothing was thrown');
}

/** Rewrites a section's bytes and fixes every sha256, so only the structural check can catch it. */
function rewriteSection(manifest: Manifest, bundle: Uint8Array, name: string, bytes: Uint8Array): Manifest {
  const copy = structuredClone(manifest);
  const section = copy.sections.find((s) => s.name === name)!;
  bundle.set(bytes, section.offset);
  section.sha256 = sha256(bytes);
  copy.bundle.sha256 = sha256(bundle);
  return copy;
}

describe('Function: encodeModel', () => {
  it('describes the model in a manifest with a sortable version id', () => {
    const model = tinyModel({ users: 5, videos: 7, factors: 4 });
    const { manifest, bundle } = encodeModel(model, info);
    expect({ ...manifest, sections: manifest.sections.map((s) => [s.name, s.dtype, s.shape]) }).toEqual({
      formatVersion: FORMAT_VERSION,
      version: `20250102T030405Z-${sha256(bundle).slice(0, 8)}`,
      createdAt: '2025-01-02T03:04:05.678Z',
      params: info.params,
      counts: { users: 5, videos: 7, factors: 4, interactions: model.seen.indices.length, events: 99 },
      metrics: { als: { 'precision@10': 0.25 } },
      dataset: { digest: 'sha256:abc' },
      bundle: { file: 'model.bin', bytes: bundle.byteLength, sha256: sha256(bundle) },
      sections: [
        ['item_factors', 'float32', [7, 4]],
        ['user_factors', 'float32', [5, 4]],
        ['user_ids', 'utf8-json', [5]],
        ['video_ids', 'utf8-json', [7]],
        ['seen_indptr', 'int32', [6]],
        ['seen_indices', 'int32', [model.seen.indices.length]],
        ['seen_data', 'float32', [model.seen.indices.length]],
        ['popularity', 'float32', [7]],
        ['metadata', 'utf8-json', [7]],
      ],
    });
  });

  it('aligns every section and is byte-for-byte reproducible', () => {
    const first = encodeModel(tinyModel({ seed: 3 }), info);
    const second = encodeModel(tinyModel({ seed: 3 }), info);
    expect({
      offsets: first.manifest.sections.map((s) => s.offset % SECTION_ALIGNMENT),
      same: Buffer.from(first.bundle).equals(Buffer.from(second.bundle)),
      version: second.manifest.version,
    }).toEqual({
      offsets: first.manifest.sections.map(() => 0),
      same: true,
      version: first.manifest.version,
    });
  });

  it('refuses a model whose arrays disagree with its ids', () => {
    const model = { ...tinyModel(), popularity: new Float32Array(3) };
    expect(refused(() => encodeModel(model, info)).message).toBe(
      'Cannot encode model: popularity has 3 values, expected 8',
    );
  });
});

describe('Function: decodeModel', () => {
  it('round-trips a model with equal arrays, ids and metadata', () => {
    const model = tinyModel({ users: 9, videos: 11, factors: 3, seed: 7 });
    const { manifest, bundle } = encodeModel(model, info);
    const loaded = decodeModel(JSON.parse(JSON.stringify(manifest)), bundle);
    expect(loaded).toEqual({ version: manifest.version, manifest, model });
  });

  it('round-trips a model without metadata', () => {
    const model = tinyModel({ metadata: false });
    const { manifest, bundle } = encodeModel(model, info);
    expect(decodeModel(manifest, bundle).model).toEqual(model);
  });

  it('returns typed arrays that view the bundle rather than copies', () => {
    const { manifest, bundle } = encodeModel(tinyModel(), info);
    const { model } = decodeModel(manifest, bundle);
    const views = [
      model.itemFactors,
      model.userFactors,
      model.popularity,
      model.seen.indptr,
      model.seen.indices,
      model.seen.data,
    ];
    const itemOffset = manifest.sections.find((s) => s.name === 'item_factors')!.offset;
    new Float32Array(bundle.buffer, bundle.byteOffset + itemOffset, 1)[0] = 123.5;
    expect({ shared: views.map((v) => v.buffer === bundle.buffer), first: model.itemFactors[0] }).toEqual({
      shared: views.map(() => true),
      first: 123.5,
    });
  });

  it('decodes a bundle that sits at an odd offset in its buffer', () => {
    const model = tinyModel();
    const { manifest, bundle } = encodeModel(model, info);
    const shifted = new Uint8Array(bundle.byteLength + 3);
    shifted.set(bundle, 3);
    expect(decodeModel(manifest, shifted.subarray(3)).model).toEqual(model);
  });

  it('refuses a bundle whose section bytes do not match their sha256', () => {
    const { manifest, bundle } = encodeModel(tinyModel(), info);
    const offset = manifest.sections.find((s) => s.name === 'user_factors')!.offset;
    bundle[offset + 1] = (bundle[offset + 1]! + 1) % 256;
    expect(refused(() => decodeModel(manifest, bundle)).message).toMatch(
      /^model\.bin section user_factors sha256 mismatch: expected [0-9a-f]{64}, got [0-9a-f]{64}$/,
    );
  });

  it('refuses a bundle changed outside any section (padding) through the bundle sha256', () => {
    const { manifest, bundle } = encodeModel(tinyModel(), info);
    const padded = manifest.sections.find((s) => s.length % SECTION_ALIGNMENT !== 0)!;
    bundle[padded.offset + padded.length] = 1;
    expect(refused(() => decodeModel(manifest, bundle)).message).toMatch(/^model\.bin sha256 mismatch/);
  });

  it('refuses a truncated bundle, naming both sizes', () => {
    const { manifest, bundle } = encodeModel(tinyModel(), info);
    expect(refused(() => decodeModel(manifest, bundle.subarray(0, 100))).message).toBe(
      `model.bin is truncated: 100 of ${bundle.byteLength} bytes`,
    );
  });

  it('refuses an unknown format version', () => {
    const { manifest, bundle } = encodeModel(tinyModel(), info);
    expect(refused(() => decodeModel({ ...manifest, formatVersion: 2 }, bundle)).message).toBe(
      'manifest.json has unknown format version 2 (this reader supports 1)',
    );
  });

  it('refuses a manifest that is not an object or breaks the schema, naming the field', () => {
    const { manifest, bundle } = encodeModel(tinyModel(), info);
    const broken = { ...manifest, counts: { ...manifest.counts, users: -1 } };
    expect([
      refused(() => decodeModel('nope', bundle)).message,
      refused(() => decodeModel(broken, bundle)).message,
    ]).toEqual([
      'manifest.json is not a JSON object',
      expect.stringMatching(/^manifest\.json is invalid: counts\.users: /),
    ]);
  });

  it('refuses a section whose shape disagrees with the manifest counts', () => {
    const { manifest, bundle } = encodeModel(tinyModel({ factors: 4 }), info);
    const copy = structuredClone(manifest);
    copy.sections[0]!.shape = [8, 5];
    expect(refused(() => decodeModel(copy, bundle)).message).toBe(
      'model.bin section item_factors has shape [8,5], expected [8,4] from the manifest counts',
    );
  });

  it('refuses a section that runs past the end of the bundle', () => {
    const { manifest, bundle } = encodeModel(tinyModel({ metadata: false }), info);
    const copy = structuredClone(manifest);
    const last = copy.sections.at(-1)!;
    last.offset = bundle.byteLength;
    expect(refused(() => decodeModel(copy, bundle)).message).toBe(
      `model.bin section popularity ends at byte ${bundle.byteLength + last.length}, past the ${bundle.byteLength}-byte bundle`,
    );
  });

  it('refuses a seen matrix with an out-of-range video index even when the hashes match', () => {
    const { manifest, bundle } = encodeModel(tinyModel({ users: 2, videos: 3, density: 0 }), info);
    const fixed = rewriteSection(
      manifest,
      bundle,
      'seen_indices',
      new Uint8Array(new Int32Array([0, 7]).buffer),
    );
    expect(refused(() => decodeModel(fixed, bundle)).message).toBe(
      'model.bin seen matrix: row 1 has column 7 out of range or out of order',
    );
  });

  it('refuses repeated user ids', () => {
    const model = { ...tinyModel({ users: 2 }), userIds: ['u1', 'u1'] };
    const { manifest, bundle } = encodeModel(model, info);
    expect(refused(() => decodeModel(manifest, bundle)).message).toBe(
      'model.bin section user_ids repeats the id "u1"',
    );
  });
});

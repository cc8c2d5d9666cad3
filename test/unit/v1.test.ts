import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeModel, type ManifestInput } from '../../src/artifact/encode.js';
import { pointerFor } from '../../src/artifact/format.js';
import { decodeV1Model, parseV1Manifest, type V1Manifest } from '../../src/artifact/v1.js';
import { ArtifactInvalidError } from '../../src/core/errors.js';
import type { ModelData } from '../../src/core/model-data.js';
import { localSource } from '../../src/store/source.js';
import { type FetchOptions, fetchVersion } from '../../src/store/version.js';
import { fixtureModelData } from '../helpers/fixture-model.js';
import { artifactById, modelById } from '../helpers/read-back.js';
import { refused } from '../helpers/refused.js';
import { tinyModel } from '../helpers/tiny-model.js';
import { encodeV1Model, publishV1Local } from '../helpers/v1-artifact.js';

const info: ManifestInput = {
  params: { factors: 4, regularization: 0.01, alpha: 1, iterations: 15, cgSteps: 3, threads: 1, seed: 42 },
  datasetDigest: 'sha256:abc',
  metrics: { als: { 'precision@10': 0.25 } },
  events: 42,
  createdAt: new Date('2024-06-01T12:00:00.000Z'),
};

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

const options: FetchOptions = {
  allocateItems: (bytes) => new Uint8Array(bytes),
  preloadUsersBytes: 1 << 20,
};

/** Changes one section in place and re-signs it and the bundle, so only structural checks can object. */
function resigned(manifest: V1Manifest, bundle: Uint8Array, name: string, bytes: Uint8Array): V1Manifest {
  const copy = structuredClone(manifest);
  const section = copy.sections.find((s) => s.name === name)!;
  bundle.set(bytes, section.offset);
  section.sha256 = sha256(bundle.subarray(section.offset, section.offset + section.length));
  copy.bundle.sha256 = sha256(bundle);
  return copy;
}

describe('Function: decodeV1Model', () => {
  it('round-trips a format-1 model with equal arrays, ids and metadata', () => {
    // Prepare
    const model = tinyModel({ users: 9, videos: 11, factors: 3, seed: 7 });
    const { manifest, bundle } = encodeV1Model(model, info);

    // Act
    const loaded = decodeV1Model(JSON.parse(JSON.stringify(manifest)), bundle);

    // Assess
    expect(loaded).toEqual({ version: manifest.version, manifest, model });
  });

  it('decodes a bundle without metadata, and one at an odd offset of its buffer', () => {
    // Prepare
    const model = tinyModel({ metadata: false });
    const { manifest, bundle } = encodeV1Model(model, info);
    const shifted = new Uint8Array(bundle.byteLength + 3);
    shifted.set(bundle, 3);

    // Act
    const models = [
      decodeV1Model(manifest, bundle).model,
      decodeV1Model(manifest, shifted.subarray(3)).model,
    ];

    // Assess
    expect(models).toEqual([model, model]);
  });

  it('refuses what format 1 refused: size, sha256 of a section and of the bundle, versions, ids, the seen matrix', () => {
    // Prepare
    const fresh = (model: ModelData = tinyModel()) => encodeV1Model(model, info);
    const cases: Record<string, () => unknown> = {
      truncated: () => {
        const { manifest, bundle } = fresh();
        return decodeV1Model(manifest, bundle.subarray(0, 100));
      },
      section: () => {
        const { manifest, bundle } = fresh();
        const at = manifest.sections.find((s) => s.name === 'user_factors')!.offset;
        bundle[at + 1] = (bundle[at + 1] as number) ^ 1;
        return decodeV1Model(manifest, bundle);
      },
      padding: () => {
        const { manifest, bundle } = fresh();
        const padded = manifest.sections.find((s) => s.length % 64 !== 0)!;
        bundle[padded.offset + padded.length] = 1;
        return decodeV1Model(manifest, bundle);
      },
      format: () => {
        const { manifest, bundle } = fresh();
        return decodeV1Model({ ...manifest, formatVersion: 2 }, bundle);
      },
      seen: () => {
        const { manifest, bundle } = fresh(tinyModel({ users: 2, videos: 3, density: 0 }));
        const m = resigned(manifest, bundle, 'seen_indices', new Uint8Array(Int32Array.of(0, 7).buffer));
        return decodeV1Model(m, bundle);
      },
      users: () => {
        const { manifest, bundle } = fresh({ ...tinyModel({ users: 2 }), userIds: ['u1', 'u1'] });
        return decodeV1Model(manifest, bundle);
      },
    };

    // Act
    const messages = Object.fromEntries(Object.entries(cases).map(([label, run]) => [label, refused(run)]));

    // Assess
    expect(messages).toEqual({
      truncated: expect.stringMatching(/^model\.bin is truncated: 100 of \d+ bytes$/),
      section: expect.stringMatching(
        /^model\.bin section user_factors sha256 mismatch: expected [0-9a-f]{64}, got [0-9a-f]{64}$/,
      ),
      padding: expect.stringMatching(/^model\.bin sha256 mismatch/),
      format: 'manifest.json is format 2, not the format 1 this reader reads',
      seen: 'model.bin seen matrix: row 1 has column 7 out of range or out of order',
      users: 'model.bin section user_ids repeats the id "u1"',
    });
  });

  it('validates the manifest schema, naming the field', () => {
    // Prepare
    const { manifest } = encodeV1Model(tinyModel(), info);

    // Act
    const message = refused(() =>
      parseV1Manifest({ ...manifest, bundle: { ...manifest.bundle, bytes: -1 } }),
    );

    // Assess
    expect(message).toMatch(/^manifest\.json is invalid: bundle\.bytes: /);
  });
});

describe('Function: fetchVersion (a format-1 version)', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'v1-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('converts it in memory: the published version id, the same answers as format 2, users in memory', async () => {
    // Prepare
    const model = tinyModel({ users: 40, videos: 25, factors: 4, seed: 3 });
    const v1 = encodeV1Model(model, info);
    await publishV1Local(root, v1);
    const source = localSource({ kind: 'local', dir: root, uri: root });

    // Act
    const fetched = await fetchVersion(source, pointerFor(v1.manifest.version), false, options);
    await source.close();

    // Assess
    const v2 = encodeModel(model, info);
    const users = fetched.users.kind === 'memory' ? fetched.users.bytes : new Uint8Array(0);
    expect({
      version: fetched.version,
      // metadata JSON is re-serialised in schema key order, so items.bin may differ in those bytes only
      manifest: { ...fetched.manifest, items: undefined },
      sections: fetched.manifest.items.sections.map((s) => [s.name, s.offset, s.length]),
      convertedFrom: fetched.convertedFrom,
      users: fetched.users.kind,
      usersBin: Buffer.from(users).equals(Buffer.from(v2.files['users.bin']!)),
      answers: artifactById(fetched.view, users, model.userIds),
    }).toEqual({
      version: v1.manifest.version,
      manifest: { ...v2.manifest, version: v1.manifest.version, items: undefined },
      sections: v2.manifest.items.sections.map((s) => [s.name, s.offset, s.length]),
      convertedFrom: 1,
      users: 'memory',
      usersBin: true,
      answers: modelById(model),
    });
  });

  it('keeps users in memory whatever the preload threshold, since the bundle is already read', async () => {
    // Prepare
    const model = fixtureModelData();
    const v1 = encodeV1Model(model, { ...info, params: { ...info.params, factors: 2 } });
    await publishV1Local(root, v1);
    const source = localSource({ kind: 'local', dir: root, uri: root });

    // Act
    const fetched = await fetchVersion(source, pointerFor(v1.manifest.version), true, {
      ...options,
      preloadUsersBytes: 0,
    });
    await source.close();

    // Assess
    expect({
      users: fetched.users.kind,
      answers:
        fetched.users.kind === 'memory' && artifactById(fetched.view, fetched.users.bytes, model.userIds),
    }).toEqual({
      users: 'memory',
      answers: modelById(model),
    });
  });

  it('refuses a corrupt format-1 bundle, naming the version, the file and the section', async () => {
    // Prepare
    const v1 = encodeV1Model(tinyModel(), info);
    await publishV1Local(root, v1);
    const file = join(root, 'models', v1.manifest.version, 'model.bin');
    const bytes = await readFile(file);
    bytes[10] = (bytes[10] as number) ^ 0xff;
    await writeFile(file, bytes);
    const source = localSource({ kind: 'local', dir: root, uri: root });

    // Act
    const failure = await fetchVersion(source, pointerFor(v1.manifest.version), false, options).catch(
      (error: unknown) => error,
    );
    await source.close();

    // Assess
    expect({ kind: failure instanceof ArtifactInvalidError, message: (failure as Error).message }).toEqual({
      kind: true,
      message: expect.stringMatching(
        new RegExp(
          `^Model version ${v1.manifest.version} at ${root} is invalid: model\\.bin section item_factors sha256 mismatch`,
        ),
      ),
    });
  });

  it('refuses a format-1 bundle shorter than its manifest says', async () => {
    // Prepare
    const v1 = encodeV1Model(tinyModel(), info);
    await publishV1Local(root, v1);
    await writeFile(join(root, 'models', v1.manifest.version, 'model.bin'), v1.bundle.subarray(0, 64));
    const source = localSource({ kind: 'local', dir: root, uri: root });

    // Act
    const failure = await fetchVersion(source, pointerFor(v1.manifest.version), false, options).catch(
      (error: unknown) => error,
    );
    await source.close();

    // Assess
    expect((failure as Error).message).toBe(
      `Model version ${v1.manifest.version} at ${root} is invalid: models/${v1.manifest.version}/model.bin is truncated: 64 of ${v1.bundle.byteLength} bytes`,
    );
  });
});

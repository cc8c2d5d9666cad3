import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeItems } from '../../src/artifact/decode.js';
import { buildManifest, encodeItems, encodeModel, type ManifestInput } from '../../src/artifact/encode.js';
import { FORMAT_VERSION, type Manifest, SECTION_ALIGNMENT } from '../../src/artifact/format.js';
import { UserBlockWriter } from '../../src/artifact/user-blocks.js';
import { idHash } from '../../src/core/id-hash.js';
import type { ModelData } from '../../src/core/model-data.js';
import { fixtureModelData } from '../helpers/fixture-model.js';
import { artifactById, modelById, userFromArtifact } from '../helpers/read-back.js';
import { refused } from '../helpers/refused.js';
import { seededRandom, tinyModel } from '../helpers/tiny-model.js';

const info: ManifestInput = {
  params: { factors: 4, regularization: 0.01, alpha: 1, iterations: 15, cgSteps: 3, threads: 1, seed: 42 },
  datasetDigest: 'sha256:abc',
  metrics: { als: { 'precision@10': 0.25 } },
  events: 99,
  createdAt: new Date('2025-01-02T03:04:05.678Z'),
};

const sha256 = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');

/** The decoded item side of an encoded model, with its users.bin. */
function decoded(model: ModelData, input: ManifestInput = info) {
  const { manifest, files } = encodeModel(model, input);
  const items = new Uint8Array(files['items.bin']!);
  return { manifest, files, view: decodeItems(manifest, items), users: files['users.bin']! };
}

describe('Function: encodeModel', () => {
  it('describes both files in a manifest whose version id hashes both', () => {
    // Prepare
    const model = tinyModel({ users: 5, videos: 7, factors: 4 });

    // Act
    const { manifest, files } = encodeModel(model, info);

    // Assess
    const items = files['items.bin']!;
    const users = files['users.bin']!;
    expect({
      ...manifest,
      items: { ...manifest.items, sections: manifest.items.sections.map((s) => [s.name, s.dtype, s.shape]) },
      files: Object.keys(files),
    }).toEqual({
      formatVersion: FORMAT_VERSION,
      version: `20250102T030405Z-${sha256(`${sha256(items)}:${sha256(users)}`).slice(0, 8)}`,
      createdAt: '2025-01-02T03:04:05.678Z',
      params: info.params,
      counts: { users: 5, videos: 7, factors: 4, interactions: model.seen.indices.length, events: 99 },
      metrics: { als: { 'precision@10': 0.25 } },
      dataset: { digest: 'sha256:abc' },
      items: {
        file: 'items.bin',
        bytes: items.byteLength,
        sha256: sha256(items),
        sections: [
          ['item_factors', 'float32', [7, 4]],
          ['item_inverse_norms', 'float32', [7]],
          ['popularity', 'float32', [7]],
          ['popularity_order', 'int32', [7]],
          ['video_id_bytes', 'uint8', [28]],
          ['video_id_offsets', 'int32', [8]],
          ['video_id_slots', 'int32', [16]],
          ['gram', 'float64', [4, 4]],
          ['user_block_hashes', 'uint32', [1]],
          ['user_block_offsets', 'float64', [2]],
          ['user_block_digests', 'uint32', [1, 2]],
          ['metadata_bytes', 'uint8', [expect.any(Number)]],
          ['metadata_offsets', 'int32', [8]],
          ['metadata_index', 'utf8-json', [expect.any(Number)]],
          ['metadata_postings', 'int32', [expect.any(Number)]],
        ],
      },
      users: { file: 'users.bin', bytes: users.byteLength, sha256: sha256(users), blocks: 1 },
      index: { kind: 'exact' },
      files: ['items.bin', 'users.bin'],
    });
  });

  it('aligns every section, checksums each, and is byte-for-byte reproducible', () => {
    // Act
    const first = encodeModel(tinyModel({ seed: 3 }), info);
    const second = encodeModel(tinyModel({ seed: 3 }), info);

    // Assess
    const items = first.files['items.bin']!;
    expect({
      aligned: first.manifest.items.sections.every((s) => s.offset % SECTION_ALIGNMENT === 0),
      fileAligned: items.byteLength % SECTION_ALIGNMENT,
      checksums: first.manifest.items.sections.every(
        (s) => sha256(items.subarray(s.offset, s.offset + s.length)) === s.sha256,
      ),
      sameItems: Buffer.from(items).equals(Buffer.from(second.files['items.bin']!)),
      sameUsers: Buffer.from(first.files['users.bin']!).equals(Buffer.from(second.files['users.bin']!)),
      manifest: second.manifest,
    }).toEqual({
      aligned: true,
      fileAligned: 0,
      checksums: true,
      sameItems: true,
      sameUsers: true,
      manifest: first.manifest,
    });
  });

  it('gives a new version id when only one user factor changes, touching only the block digests in items.bin', () => {
    // Prepare
    const model = tinyModel({ seed: 4 });
    const changed = { ...model, userFactors: Float32Array.from(model.userFactors) };
    changed.userFactors[0] = (changed.userFactors[0] as number) + 1;

    // Act
    const [a, b] = [encodeModel(model, info), encodeModel(changed, info)];

    // Assess
    const differing = a.manifest.items.sections
      .filter((s, i) => s.sha256 !== b.manifest.items.sections[i]!.sha256)
      .map((s) => s.name);
    expect({
      differing,
      users: a.manifest.users.sha256 !== b.manifest.users.sha256,
      versions: a.manifest.version !== b.manifest.version,
    }).toEqual({ differing: ['user_block_digests'], users: true, versions: true });
  });

  it('keeps training row order without an index, and stores derived item arrays (known answers)', () => {
    // Prepare: the fixture, popularity 5 3 4 1 2 0
    const model = { ...fixtureModelData(), coldVideos: undefined };

    // Act
    const { view } = decoded(model, { ...info, params: { ...info.params, factors: 2 } });

    // Assess
    expect({
      ids: Array.from({ length: view.videos }, (_, row) => view.videoIds.idAt(row)),
      factors: [...view.itemFactors],
      popularityOrder: [...view.popularityOrder],
      inverseNorms: [...view.inverseNorms],
      gram: [...view.gram],
      ivf: view.ivf,
    }).toEqual({
      ids: model.videoIds,
      factors: [...model.itemFactors],
      popularityOrder: [0, 2, 1, 4, 3, 5],
      inverseNorms: [1, 1, Math.SQRT2, 1 / Math.sqrt(1.25), 1 / Math.sqrt(1.0625), 1 / Math.sqrt(0.3125)].map(
        (x) => Math.fround(x),
      ),
      // YᵀY: Σy0² = 1 + .25 + 1 + .0625 + .25, Σy0y1 = .25 + .5 + .25 - .125, Σy1² = 1 + .25 + .25 + 1 + .0625
      gram: [2.5625, 0.875, 0.875, 2.5625],
      ivf: undefined,
    });
  });

  it('orders popularity ties by the lower row first', () => {
    // Prepare
    const model = { ...tinyModel({ users: 2, videos: 5 }), popularity: Float32Array.of(2, 5, 2, 5, 0) };

    // Act
    const { view } = decoded(model);

    // Assess
    expect([...view.popularityOrder]).toEqual([1, 3, 0, 2, 4]);
  });

  it('indexes metadata by trimmed, lower-cased language and tags, each row once', () => {
    // Prepare
    const model: ModelData = {
      ...tinyModel({ users: 2, videos: 4 }),
      metadata: [
        { title: 'a', language: ' EN ', tags: ['Code', 'code', 'TS'] },
        null,
        { title: 'c', language: 'en', tags: ['food'] },
        { title: 'd', language: 'It' },
      ],
    };

    // Act
    const { view } = decoded(model);

    // Assess
    const meta = view.metadata!;
    const rows = (kind: 'language' | 'tags') =>
      Object.fromEntries(
        Object.entries(meta.index[kind]).map(([key, [start, count]]) => [
          key,
          [...meta.postings.subarray(start, start + count)],
        ]),
      );
    expect({
      language: rows('language'),
      tags: rows('tags'),
      offsets: [...meta.offsets].map((o, i, all) => (i === 0 ? 0 : o - (all[i - 1] as number))),
      first: Buffer.from(meta.bytes.subarray(meta.offsets[0], meta.offsets[1])).toString('utf8'),
    }).toEqual({
      language: { en: [0, 2], it: [3] },
      tags: { code: [0], ts: [0], food: [2] },
      offsets: [0, JSON.stringify(model.metadata![0]).length, 0, expect.any(Number), expect.any(Number)],
      first: JSON.stringify(model.metadata![0]),
    });
  });

  it('writes no metadata sections for a model without metadata', () => {
    // Act
    const { manifest, view } = decoded(tinyModel({ metadata: false }));

    // Assess
    expect({
      names: manifest.items.sections.filter((s) => s.name.startsWith('metadata')),
      metadata: view.metadata,
    }).toEqual({ names: [], metadata: undefined });
  });

  it('stores items in IVF list order when asked, keeping every video and history by id', () => {
    // Prepare
    const model = tinyModel({ users: 30, videos: 120, factors: 4, seed: 11 });

    // Act
    const { manifest, view, users } = decoded(model, { ...info, index: 'ivf', ivf: { lists: 6 } });

    // Assess
    const ivf = view.ivf!;
    const order = Array.from({ length: view.videos }, (_, row) => view.videoIds.idAt(row));
    expect({
      index: { ...manifest.index, nprobe: manifest.index.kind === 'ivf' && manifest.index.nprobe <= 6 },
      lists: ivf.lists,
      offsets: [ivf.offsets[0], ivf.offsets[6], ivf.offsets.length],
      centroids: ivf.centroids.length,
      reordered: order.some((id, row) => id !== model.videoIds[row]),
      model: artifactById(view, users, model.userIds),
    }).toEqual({
      index: {
        kind: 'ivf',
        lists: 6,
        nprobe: true,
        recallAt10: expect.any(Number),
        queries: expect.any(Number),
      },
      lists: 6,
      offsets: [0, 120, 7],
      centroids: 6 * 4,
      reordered: true,
      model: modelById(model),
    });
  });

  it('builds no index for a small catalogue on auto, and none when told exact', () => {
    // Act
    const kinds = [
      encodeModel(tinyModel({ videos: 200 }), info).manifest.index,
      encodeModel(tinyModel({ videos: 200 }), { ...info, index: 'exact' }).manifest.index,
    ];

    // Assess
    expect(kinds).toEqual([{ kind: 'exact' }, { kind: 'exact' }]);
  });

  it('encodes a model with no users and one with no videos', () => {
    // Prepare
    const noUsers: ModelData = {
      ...tinyModel({ users: 0, videos: 3 }),
      seen: {
        rows: 0,
        cols: 3,
        indptr: Int32Array.of(0),
        indices: new Int32Array(0),
        data: new Float32Array(0),
      },
    };
    const noVideos: ModelData = {
      ...tinyModel({ users: 0, videos: 0 }),
      seen: {
        rows: 0,
        cols: 0,
        indptr: Int32Array.of(0),
        indices: new Int32Array(0),
        data: new Float32Array(0),
      },
      metadata: null,
    };

    // Act
    const results = [noUsers, noVideos].map((model) => {
      const { manifest, view } = decoded(model);
      return { users: manifest.users, videos: view.videos, blocks: view.users.hashes.length };
    });

    // Assess
    expect(results).toEqual([
      { users: { file: 'users.bin', bytes: 0, sha256: sha256(''), blocks: 0 }, videos: 3, blocks: 0 },
      { users: { file: 'users.bin', bytes: 0, sha256: sha256(''), blocks: 0 }, videos: 0, blocks: 0 },
    ]);
  });

  it('refuses models whose arrays disagree with their ids, naming every problem', () => {
    // Prepare
    const model = tinyModel();

    // Act
    const messages = {
      popularity: refused(() => encodeModel({ ...model, popularity: new Float32Array(3) }, info)),
      two: refused(() => encodeModel({ ...model, userFactors: new Float32Array(1), metadata: [null] }, info)),
      users: refused(() => encodeModel({ ...model, userIds: model.userIds.map(() => 'same') }, info)),
      videos: refused(() =>
        encodeModel({ ...model, videoIds: model.videoIds.map((id, i) => (i === 3 ? 'v001' : id)) }, info),
      ),
    };

    // Assess
    expect(messages).toEqual({
      popularity: 'Cannot encode model: popularity has 3 values, expected 8',
      two: 'Cannot encode model: userFactors has 1 values, expected 6x4; metadata has 1 entries, expected 8',
      users: 'Cannot encode model: user ids repeat',
      videos: 'Cannot encode model: video id "v001" repeats',
    });
  });

  it('refuses a watch history that names a video outside the model instead of storing a wrong row', () => {
    // Prepare
    const model = tinyModel({ users: 2, videos: 3, density: 0 });
    const outside = { ...model, seen: { ...model.seen, indices: Int32Array.of(0, 7) } };
    const negative = { ...model, seen: { ...model.seen, indices: Int32Array.of(-1, 2) } };
    const badPtr = { ...model, seen: { ...model.seen, indptr: Int32Array.of(0, 2, 1) } };

    // Act
    const messages = [outside, negative, badPtr].map((m) => refused(() => encodeModel(m, info)));

    // Assess
    expect(messages).toEqual([
      'Cannot encode model: seen row 1 names video 7, outside 0..2',
      'Cannot encode model: seen row 0 names video -1, outside 0..2',
      'Cannot encode model: seen.indptr must rise from 0 to 2',
    ]);
  });
});

describe('Functions: encodeItems + buildManifest (streaming writers)', () => {
  it('compose to the same files and manifest as encodeModel for a model without an index', () => {
    // Prepare: users written in (hash, id) order through a UserBlockWriter, as bench/scale.ts streams them
    const model = { ...fixtureModelData(), coldVideos: undefined };
    const input: ManifestInput = { ...info, params: { ...info.params, factors: 2 } };
    const chunks: Uint8Array[] = [];
    const writer = new UserBlockWriter(2, (block) => chunks.push(block));
    const order = model.userIds
      .map((id, u) => ({ id, u, hash: idHash(id) }))
      .sort((a, b) => a.hash - b.hash || (a.id < b.id ? -1 : 1));
    for (const { id, u, hash } of order) {
      const start = model.seen.indptr[u] as number;
      const end = model.seen.indptr[u + 1] as number;
      writer.add({
        id,
        hash,
        factors: model.userFactors.subarray(u * 2, u * 2 + 2),
        items: model.seen.indices.subarray(start, end),
        values: model.seen.data.subarray(start, end),
      });
    }
    const users = writer.finish();

    // Act
    const items = encodeItems({
      factors: 2,
      itemFactors: model.itemFactors,
      popularity: model.popularity,
      videoIds: model.videoIds,
      metadata: model.metadata,
      ivf: undefined,
      users: users.directory,
    });
    const manifest: Manifest = buildManifest({
      info: input,
      counts: { users: 3, videos: 6, factors: 2, interactions: 3, events: 99 },
      items,
      users: { bytes: users.bytes, sha256: users.sha256, blocks: users.blocks },
      index: { kind: 'exact' },
    });

    // Assess
    const whole = encodeModel(model, input);
    expect({
      manifest,
      items: Buffer.from(items.bytes).equals(Buffer.from(whole.files['items.bin']!)),
      users: Buffer.concat(chunks).equals(Buffer.from(whole.files['users.bin']!)),
    }).toEqual({ manifest: whole.manifest, items: true, users: true });
  });
});

describe('Property: encodeModel -> decodeItems -> user lookups', () => {
  /** A random model: sizes from the seed, some non-ASCII user ids, metadata on or off. */
  function randomModel(seed: number): ModelData {
    const random = seededRandom(seed * 7919);
    const base = tinyModel({
      seed,
      users: 1 + Math.floor(random() * 60),
      videos: 1 + Math.floor(random() * 40),
      factors: 1 + Math.floor(random() * 8),
      density: random() * 0.5,
      metadata: random() < 0.5,
    });
    return { ...base, userIds: base.userIds.map((id, i) => (i % 3 === 0 ? `ユーザー-${id}` : id)) };
  }

  it('gives back every user factor and watch history, and every video, by id (40 random models)', () => {
    for (let seed = 1; seed <= 40; seed++) {
      // Prepare
      const model = randomModel(seed);

      // Act
      const { view, users } = decoded(model, { ...info, params: { ...info.params, factors: model.factors } });

      // Assess
      expect({ seed, model: artifactById(view, users, model.userIds) }).toEqual({
        seed,
        model: modelById(model),
      });
    }
  });

  it('finds every user when blocks are many, and no user that is absent', () => {
    // Prepare: enough users for several 16 KiB blocks
    const model = tinyModel({ users: 3000, videos: 50, factors: 16, density: 0.1, seed: 5 });

    // Act
    const { view, users, manifest } = decoded(model, { ...info, params: { ...info.params, factors: 16 } });
    const absent = ['u3001', 'u0001', 'U001', '', 'ユーザー'].map((id) => userFromArtifact(view, users, id));

    // Assess
    expect({
      several: manifest.users.blocks > 3,
      model: artifactById(view, users, model.userIds),
      absent,
    }).toEqual({ several: true, model: modelById(model), absent: absent.map(() => undefined) });
  });
});

describe('Function: encodeModel (optional groups)', () => {
  it('refuses cold videos that are also model videos, bm25 without item norms, and norms of the wrong length', () => {
    // Prepare
    const model = fixtureModelData();
    const params = { ...info.params, factors: 2 };

    // Act / Assess
    expect(
      refused(() =>
        encodeModel({ ...model, coldVideos: { ids: ['v001'], metadata: [{}] } }, { ...info, params }),
      ),
    ).toBe('Cannot encode model: video "v001" is both in the model and cold');
    expect(
      refused(() =>
        encodeModel(
          { ...model, weighting: { weighting: { scheme: 'bm25', k1: 1, b: 1 }, items: 6 } },
          { ...info, params },
        ),
      ),
    ).toBe('Cannot encode model: bm25 weighting needs item norms');
    expect(
      refused(() =>
        encodeModel(
          {
            ...model,
            weighting: {
              weighting: { scheme: 'bm25', k1: 1, b: 1 },
              items: 6,
              itemNorms: new Float64Array(2),
            },
          },
          { ...info, params },
        ),
      ),
    ).toBe('Cannot encode model: weighting has 2 item norms, expected 6');
  });

  it('stores the cold videos and their metadata, and counts them', () => {
    const { manifest, files } = encodeModel(fixtureModelData(), {
      ...info,
      params: { ...info.params, factors: 2 },
    });
    const view = decodeItems(manifest, files['items.bin'] as Uint8Array);
    expect(manifest.counts.coldVideos).toBe(1);
    expect(view.cold?.videoIds.idAt(0)).toBe('v007');
    expect(Buffer.from(view.cold?.metadata.bytes ?? []).toString()).toBe(
      '{"title":"Street food in Rome","language":"it","tags":["food","travel"],"lengthSeconds":540}',
    );
  });
});

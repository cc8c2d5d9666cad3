import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  decodeItems,
  formatVersionOf,
  parseManifest,
  verifyItems,
  viewItems,
} from '../../src/artifact/decode.js';
import { encodeModel, type ManifestInput } from '../../src/artifact/encode.js';
import type { ItemSectionName, Manifest } from '../../src/artifact/format.js';
import { refused } from '../helpers/refused.js';
import { tinyModel } from '../helpers/tiny-model.js';
import { encodeV1Model } from '../helpers/v1-artifact.js';

const info: ManifestInput = {
  params: { factors: 4, regularization: 0.01, alpha: 1, iterations: 15, cgSteps: 3, threads: 1, seed: 42 },
  datasetDigest: 'sha256:abc',
  createdAt: new Date('2025-01-02T03:04:05.678Z'),
};

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** A fresh encoded model (8 videos, or 40 in 4 IVF lists): its manifest and a private copy of items.bin. */
function fixture(options: { ivf?: boolean; users?: number } = {}): { manifest: Manifest; items: Uint8Array } {
  const model = tinyModel({ users: options.users ?? 6, videos: options.ivf ? 40 : 8 });
  const { manifest, files } = encodeModel(model, {
    ...info,
    ...(options.ivf ? { index: 'ivf' as const, ivf: { lists: 4 } } : {}),
  });
  return { manifest, items: new Uint8Array(files['items.bin']!) };
}

const int32 = (b: Uint8Array): Int32Array => new Int32Array(b.buffer, b.byteOffset, b.byteLength / 4);
const uint32 = (b: Uint8Array): Uint32Array => new Uint32Array(b.buffer, b.byteOffset, b.byteLength / 4);
const float64 = (b: Uint8Array): Float64Array => new Float64Array(b.buffer, b.byteOffset, b.byteLength / 8);

/**
 * Changes one section in place and fixes the section's and the file's sha256 in a copy of the manifest,
 * so that only the structural checks can catch the change.
 */
function resigned(
  manifest: Manifest,
  items: Uint8Array,
  name: ItemSectionName,
  mutate: (section: Uint8Array) => void,
): Manifest {
  const copy = structuredClone(manifest);
  const s = copy.items.sections.find((x) => x.name === name)!;
  const section = items.subarray(s.offset, s.offset + s.length);
  mutate(section);
  s.sha256 = sha256(section);
  copy.items.sha256 = sha256(items);
  return copy;
}

/** A manifest copy with one section's entry changed. */
function withSection(
  manifest: Manifest,
  name: ItemSectionName,
  change: Partial<Manifest['items']['sections'][0]>,
) {
  const copy = structuredClone(manifest);
  const s = copy.items.sections.find((x) => x.name === name)!;
  Object.assign(s, change);
  return copy;
}

describe('Function: formatVersionOf', () => {
  it('reads the declared format before any schema, so an unknown one says so', () => {
    // Prepare
    const { manifest } = fixture();
    const v1 = encodeV1Model(tinyModel(), info).manifest;

    // Act
    const answers = [
      manifest,
      v1,
      { ...manifest, formatVersion: 9 },
      { version: 'x' },
      'nope',
      null,
      [2],
    ].map((m) => {
      try {
        return formatVersionOf(m);
      } catch (error) {
        return (error as Error).message;
      }
    });

    // Assess
    expect(answers).toEqual([
      2,
      1,
      'manifest.json has unknown format version 9 (this reader supports 1 and 2)',
      'manifest.json has unknown format version undefined (this reader supports 1 and 2)',
      'manifest.json is not a JSON object',
      'manifest.json is not a JSON object',
      'manifest.json is not a JSON object',
    ]);
  });
});

describe('Function: parseManifest', () => {
  it('accepts a manifest that went through JSON', () => {
    // Prepare
    const { manifest } = fixture({ ivf: true });

    // Act
    const parsed = parseManifest(JSON.parse(JSON.stringify(manifest)));

    // Assess
    expect(parsed).toEqual(manifest);
  });

  it('names the fields that break the schema', () => {
    // Prepare
    const { manifest } = fixture();

    // Act
    const messages = [
      { ...manifest, counts: { ...manifest.counts, users: -1 } },
      { ...manifest, version: 'latest' },
      { ...manifest, items: { ...manifest.items, file: 'model.bin' } },
      { ...manifest, index: { kind: 'ivf', lists: 0 } },
      encodeV1Model(tinyModel(), info).manifest,
    ].map((m) => refused(() => parseManifest(m)));

    // Assess
    expect(messages).toEqual([
      expect.stringMatching(/^manifest\.json is invalid: counts\.users: /),
      'manifest.json is invalid: version: must look like 20250101T102000Z-1a2b3c4d',
      expect.stringMatching(/^manifest\.json is invalid: items\.file: /),
      expect.stringMatching(/^manifest\.json is invalid: index\.lists: .*; index\.nprobe: /),
      'manifest.json is format 1, not the format 2 this reader reads',
    ]);
  });
});

describe('Function: decodeItems', () => {
  it('returns typed views onto the given bytes, not copies', () => {
    // Prepare
    const { manifest, items } = fixture();
    const view = decodeItems(manifest, items);
    const at = manifest.items.sections.find((s) => s.name === 'item_factors')!.offset;

    // Act
    new Float32Array(items.buffer, at, 1)[0] = 123.5;

    // Assess
    const arrays = [view.itemFactors, view.popularity, view.popularityOrder, view.gram, view.users.offsets];
    expect({ shared: arrays.every((a) => a.buffer === items.buffer), first: view.itemFactors[0] }).toEqual({
      shared: true,
      first: 123.5,
    });
  });

  it('decodes at an 8-aligned offset of shared memory, and refuses a 4-aligned one', () => {
    // Prepare
    const { manifest, items } = fixture();
    const memory = new Uint8Array(new SharedArrayBuffer(items.byteLength + 64));
    memory.set(items, 56);
    const misaligned = new Uint8Array(items.byteLength + 4).subarray(4);
    misaligned.set(items);

    // Act
    const view = decodeItems(manifest, memory.subarray(56, 56 + items.byteLength));
    const failure = (() => {
      try {
        decodeItems(manifest, misaligned);
        return 'accepted';
      } catch (error) {
        return error instanceof RangeError ? error.message : 'wrong error';
      }
    })();

    // Assess
    expect({ first: view.videoIds.idAt(0), where: view.itemFactors.byteOffset >= 56, failure }).toEqual({
      first: 'v001',
      where: true,
      failure: 'items.bin must be loaded at an 8-aligned offset',
    });
  });

  it('refuses a file of the wrong size, naming both sizes', () => {
    // Prepare
    const { manifest, items } = fixture();
    const longer = new Uint8Array(items.byteLength + 8);
    longer.set(items);

    // Act
    const messages = [
      refused(() => decodeItems(manifest, items.subarray(0, 96))),
      refused(() => decodeItems(manifest, longer)),
    ];

    // Assess
    expect(messages).toEqual([
      `items.bin is truncated: 96 of ${items.byteLength} bytes`,
      `items.bin has ${items.byteLength + 8} bytes, the manifest says ${items.byteLength}`,
    ]);
  });

  it('refuses a flipped byte in any section, naming that section', () => {
    // Prepare
    const { manifest } = fixture({ ivf: true });
    const sections = manifest.items.sections.filter((s) => s.length > 0);

    // Act
    const named = sections.map((s) => {
      const { items } = fixture({ ivf: true });
      items[s.offset + Math.floor(s.length / 2)] =
        (items[s.offset + Math.floor(s.length / 2)] as number) ^ 0x10;
      return refused(() => decodeItems(manifest, items)).match(/\(section (\w+) differs\)$/)?.[1];
    });

    // Assess
    expect(named).toEqual(sections.map((s) => s.name));
  });

  it('refuses a change in the padding between sections through the file sha256', () => {
    // Prepare
    const { manifest, items } = fixture();
    const padded = manifest.items.sections.find((s) => s.length % 64 !== 0)!;
    items[padded.offset + padded.length] = 1;

    // Act
    const message = refused(() => decodeItems(manifest, items));

    // Assess
    expect(message).toMatch(/^items\.bin sha256 mismatch: expected [0-9a-f]{64}, got [0-9a-f]{64}$/);
  });

  it('refuses section tables that disagree with the manifest counts or the file', () => {
    // Prepare
    const { manifest, items } = fixture();
    const gram = manifest.items.sections.find((s) => s.name === 'gram')!;
    const cases: Record<string, Manifest> = {
      shape: withSection(manifest, 'item_factors', { shape: [8, 5] }),
      dtype: withSection(manifest, 'gram', { dtype: 'float32' }),
      misaligned: withSection(manifest, 'gram', { offset: gram.offset + 4 }),
      length: withSection(manifest, 'gram', { length: gram.length - 8 }),
      pastEnd: withSection(manifest, 'gram', { offset: items.byteLength - 64 }),
      blocks: { ...manifest, users: { ...manifest.users, blocks: 2 } },
      twice: (() => {
        const copy = structuredClone(manifest);
        copy.items.sections.push(structuredClone(gram));
        return copy;
      })(),
      lacks: (() => {
        const copy = structuredClone(manifest);
        copy.items.sections = copy.items.sections.filter((s) => s.name !== 'gram');
        return copy;
      })(),
      partialMetadata: (() => {
        const copy = structuredClone(manifest);
        copy.items.sections = copy.items.sections.filter((s) => s.name !== 'metadata_postings');
        return copy;
      })(),
    };

    // Act
    const messages = Object.fromEntries(
      Object.entries(cases).map(([label, m]) => [label, refused(() => decodeItems(m, items))]),
    );

    // Assess
    expect(messages).toEqual({
      shape: 'items.bin section item_factors has shape [8,5], expected [8,4] from the manifest counts',
      dtype: 'items.bin section gram has dtype float32, expected float64',
      misaligned: `items.bin section gram starts at offset ${gram.offset + 4}, not 8-byte aligned`,
      length: `items.bin section gram is ${gram.length - 8} bytes, expected 128 for shape [4,4]`,
      pastEnd: `items.bin section gram ends at byte ${items.byteLength + 64}, past the ${items.byteLength}-byte file`,
      blocks: 'items.bin section user_block_hashes has shape [1], expected [2] from the manifest counts',
      twice: 'manifest.json lists section gram twice',
      lacks: 'manifest.json lacks the gram section',
      partialMetadata: 'manifest.json lists only part of the metadata sections',
    });
  });

  it('refuses IVF sections without an IVF index (by their shape), and an IVF index without its sections', () => {
    // Prepare
    const ivf = fixture({ ivf: true });
    const exact = fixture();

    // Act
    const messages = [
      refused(() => decodeItems({ ...ivf.manifest, index: { kind: 'exact' } }, ivf.items)),
      refused(() =>
        decodeItems(
          { ...exact.manifest, index: { kind: 'ivf', lists: 4, nprobe: 1, recallAt10: 1, queries: 1 } },
          exact.items,
        ),
      ),
    ];

    // Assess
    expect(messages).toEqual([
      'items.bin section ivf_centroids has shape [4,4], expected [0,4] from the manifest counts',
      'manifest.json lacks the ivf_centroids section',
    ]);
  });

  it('refuses structures that would read out of bounds at serve time, even with matching hashes', () => {
    // Prepare: each case changes one section of a fresh file and re-signs it
    const cases: [string, ItemSectionName, (s: Uint8Array) => void, { ivf?: boolean; users?: number }?][] = [
      ['order repeats', 'popularity_order', (s) => int32(s).fill(0)],
      [
        'order outside',
        'popularity_order',
        (s) => {
          int32(s)[0] = 8;
        },
      ],
      [
        'slot outside',
        'video_id_slots',
        (s) => {
          int32(s)[int32(s).indexOf(0)] = 99;
        },
      ],
      [
        'slot negative',
        'video_id_slots',
        (s) => {
          int32(s)[int32(s).indexOf(0)] = -1;
        },
      ],
      [
        'slot twice',
        'video_id_slots',
        (s) => {
          int32(s)[int32(s).indexOf(0)] = int32(s).find((x) => x > 0)!;
        },
      ],
      ['slots full', 'video_id_slots', (s) => int32(s).fill(1)],
      [
        'slot missing',
        'video_id_slots',
        (s) => {
          int32(s)[int32(s).indexOf(3)] = 0;
        },
      ],
      [
        'id offsets down',
        'video_id_offsets',
        (s) => {
          int32(s)[2] = 1;
        },
      ],
      [
        'id offsets short',
        'video_id_offsets',
        (s) => {
          int32(s)[8] = 31;
        },
      ],
      [
        'ivf offsets',
        'ivf_offsets',
        (s) => {
          int32(s)[4] = 41;
        },
        { ivf: true },
      ],
      [
        'postings outside',
        'metadata_postings',
        (s) => {
          int32(s)[0] = 8;
        },
      ],
      [
        'metadata offsets',
        'metadata_offsets',
        (s) => {
          int32(s)[0] = 1;
        },
      ],
      [
        'index past postings',
        'metadata_index',
        (s) => s.set(new TextEncoder().encode('{"language":{"x":[0,99]},"tags":{}}'.padEnd(s.length))),
      ],
      ['index not json', 'metadata_index', (s) => s.fill(0x20)],
      ['block hashes down', 'user_block_hashes', (s) => uint32(s).set([5, 4]), { users: 2000 }],
      [
        'block offsets end',
        'user_block_offsets',
        (s) => {
          float64(s)[1] = 8;
        },
      ],
    ];

    // Act
    const messages = Object.fromEntries(
      cases.map(([label, name, mutate, options]) => {
        const { manifest, items } = fixture(options);
        const m = resigned(manifest, items, name, mutate);
        return [label, refused(() => decodeItems(m, items))];
      }),
    );

    // Assess
    expect(messages).toEqual({
      'order repeats': 'items.bin popularity_order is not a permutation of the videos',
      'order outside': 'items.bin popularity_order is not a permutation of the videos',
      'slot outside': 'items.bin video_id_slots holds 99, outside 0..8',
      'slot negative': 'items.bin video_id_slots holds -1, outside 0..8',
      'slot twice': expect.stringMatching(/^items\.bin video_id_slots holds video \d twice$/),
      'slots full': 'items.bin video_id_slots holds video 0 twice',
      'slot missing': 'items.bin video_id_slots lacks video 2',
      'id offsets down': 'items.bin video_id_offsets decreases at 2',
      'id offsets short': 'items.bin video_id_offsets must end at 32',
      'ivf offsets': 'items.bin ivf_offsets must end at 40',
      'postings outside': 'items.bin metadata_postings holds row 8, outside the videos',
      'metadata offsets': 'items.bin metadata_offsets must start at 0',
      'index past postings': 'items.bin metadata_index language "x" points past the postings',
      'index not json': 'items.bin section metadata_index is not a valid index',
      'block hashes down': 'items.bin user_block_hashes decreases at 1',
      'block offsets end': expect.stringMatching(/^items\.bin user_block_offsets must end at \d+$/),
    });
  });
});

describe('Function: verifyItems', () => {
  it('returns the section table by name for a good file', () => {
    // Prepare
    const { manifest, items } = fixture();

    // Act
    const sections = verifyItems(manifest, items);

    // Assess
    expect([...sections.keys()]).toEqual(manifest.items.sections.map((s) => s.name));
  });
});

describe('Function: viewItems', () => {
  it('views a verified file without hashing it again (a corrupt byte goes unnoticed)', () => {
    // Prepare
    const { manifest, items } = fixture();
    const at = manifest.items.sections.find((s) => s.name === 'popularity')!.offset;
    items[at] = (items[at] as number) ^ 0xff;

    // Act
    const view = viewItems(manifest, items);

    // Assess
    expect({
      videos: view.videos,
      popularity: view.popularity.byteOffset,
      ids: view.videoIds.indexOf('v008'),
    }).toEqual({
      videos: 8,
      popularity: at,
      ids: 7,
    });
  });
});

describe('Function: decodeItems (optional section groups)', () => {
  /** The fixture-like tiny model with cold videos, bm25 norms and the similar-users index. */
  function full(): { manifest: Manifest; items: Uint8Array } {
    const model = tinyModel({ users: 6, videos: 8 });
    const weighting = {
      weighting: { scheme: 'bm25' as const, k1: 100, b: 0.8 },
      items: 8,
      itemNorms: new Float64Array(8).fill(1.5),
    };
    const coldVideos = { ids: ['c1', 'c2'], metadata: [{ tags: ['a'] }, { language: 'en' }] };
    const { manifest, files } = encodeModel(
      { ...model, weighting, coldVideos },
      { ...info, userIndex: 'ivf', userIvf: { lists: 2 } },
    );
    return { manifest, items: new Uint8Array(files['items.bin']!) };
  }

  it('reads the cold videos, the bm25 norms and the similar-users index', () => {
    // Act
    const { manifest, items } = full();
    const view = decodeItems(manifest, items);

    // Assess
    expect(manifest.counts.coldVideos).toBe(2);
    expect(manifest.weighting).toEqual({ scheme: 'bm25', k1: 100, b: 0.8 });
    expect([view.cold?.videoIds.indexOf('c2'), view.cold?.videoIds.indexOf('v001')]).toEqual([1, -1]);
    expect(Array.from(view.weightNorms ?? [])).toEqual(new Array(8).fill(1.5));
    expect(view.userIvf?.lists).toBe(2);
  });

  it('refuses a group given in part, or against what the manifest says', () => {
    // Prepare
    const { manifest, items } = full();
    const without = (...names: string[]): Manifest => {
      const copy = structuredClone(manifest);
      copy.items.sections = copy.items.sections.filter((s) => !names.includes(s.name));
      return copy;
    };
    const noCold = structuredClone(manifest);
    delete noCold.counts.coldVideos;
    const noIndex = structuredClone(manifest);
    delete noIndex.userIndex;
    const noWeighting = structuredClone(manifest);
    delete noWeighting.weighting;

    // Act / Assess
    expect(refused(() => decodeItems(without('cold_metadata_bytes'), items))).toBe(
      'manifest.json lists only part of the cold sections',
    );
    expect(refused(() => decodeItems(without('user_ivf_digests'), items))).toBe(
      'manifest.json lists only part of the user_ivf sections',
    );
    expect(refused(() => decodeItems(noCold, items))).toBe(
      'items.bin section cold_video_id_offsets has shape [3], expected [1] from the manifest counts',
    );
    const coldGroup = [
      'cold_video_id_bytes',
      'cold_video_id_offsets',
      'cold_video_id_slots',
      'cold_metadata_bytes',
      'cold_metadata_offsets',
    ];
    expect(refused(() => decodeItems(without(...coldGroup), items))).toBe(
      'manifest.json lacks the cold sections against counts.coldVideos',
    );
    expect(refused(() => decodeItems(noIndex, items))).toBe(
      'items.bin section user_ivf_centroids has shape [2,4], expected [0,4] from the manifest counts',
    );
    const ivfGroup = ['user_ivf_centroids', 'user_ivf_offsets', 'user_ivf_digests'];
    expect(refused(() => decodeItems(without(...ivfGroup), items))).toBe(
      'manifest.json lacks the user_ivf sections against userIndex',
    );
    expect(refused(() => decodeItems(noWeighting, items))).toBe(
      'manifest.json has the item_weight_norms sections against the weighting',
    );
    expect(refused(() => decodeItems(without('item_weight_norms'), items))).toBe(
      'manifest.json lacks the item_weight_norms sections against the weighting',
    );
  });

  it('refuses similar-users lists that do not end where users.bin ends', () => {
    // Prepare
    const { manifest, items } = full();
    const bad = resigned(manifest, items, 'user_ivf_offsets', (section) => {
      const offsets = float64(section);
      offsets[offsets.length - 1] = (offsets[offsets.length - 1] as number) - 8;
    });

    // Act / Assess
    expect(refused(() => decodeItems(bad, items))).toBe(
      `items.bin user_ivf_offsets must end at ${manifest.users.bytes}`,
    );
  });
});

import { describe, expect, it } from 'vitest';
import { decodeItems, encodeModel, UserBlock } from '../../src/artifact/index.js';
import { encodeUserIvf, unitRows } from '../../src/artifact/user-ivf.js';
import { idHash } from '../../src/core/id-hash.js';
import { clusteredModel } from '../helpers/clustered-model.js';
import { FIXTURE_PARAMS } from '../helpers/fixture-model.js';

describe('Function: unitRows', () => {
  it('scales each row to unit length and keeps zero rows zero', () => {
    expect(Array.from(unitRows(Float32Array.of(3, 4, 0, 0, 0, 2), 2))).toEqual(
      [0.6, 0.8, 0, 0, 0, 1].map(Math.fround),
    );
  });
});

describe('Function: encodeUserIvf', () => {
  it('stores every user once, in one block per list, with unit factors, right after the hash-ordered blocks', () => {
    // Prepare
    const model = clusteredModel({ items: 50, users: 600, factors: 6, groups: 5, seed: 1 });
    const hashes = Uint32Array.from(model.userIds, (id) => idHash(id));

    // Act
    const ivf = encodeUserIvf(model, hashes, 1000, { lists: 8 });

    // Assess
    expect(ivf.offsets[0]).toBe(1000);
    expect(ivf.info).toMatchObject({ kind: 'ivf', lists: 8 });
    const seen: string[] = [];
    ivf.blocks.forEach((bytes, l) => {
      expect(bytes.byteLength).toBe((ivf.offsets[l + 1] as number) - (ivf.offsets[l] as number));
      if (bytes.byteLength === 0) return;
      const block = new UserBlock(bytes);
      const factors = block.factorMatrix();
      for (let i = 0; i < block.n; i++) {
        const id = block.idAt(i);
        seen.push(id);
        const u = model.userIds.indexOf(id);
        const row = Array.from(factors.subarray(i * 6, i * 6 + 6));
        const norm = Math.hypot(...row);
        expect(norm).toBeCloseTo(1, 5);
        expect(block.hashAt(i)).toBe(hashes[u]);
        expect(row[0]).toBeCloseTo(
          (model.userFactors[u * 6] as number) / Math.hypot(...model.userFactors.subarray(u * 6, u * 6 + 6)),
          6,
        );
      }
    });
    expect(seen.sort()).toEqual([...model.userIds].sort());
  });

  it('is built by encodeModel on request (and from 50,000 users by default), and decodes with the model', () => {
    // Prepare
    const model = clusteredModel({ items: 50, users: 300, factors: 4, groups: 3, seed: 2 });
    const params = { ...FIXTURE_PARAMS, factors: 4 };

    // Act
    const plain = encodeModel(model, { params, datasetDigest: 'd' });
    const indexed = encodeModel(model, {
      params,
      datasetDigest: 'd',
      userIndex: 'ivf',
      userIvf: { lists: 4 },
    });

    // Assess
    const view = decodeItems(indexed.manifest, indexed.files['items.bin'] as Uint8Array);
    expect(plain.manifest.userIndex).toBeUndefined();
    expect(indexed.manifest.userIndex).toMatchObject({ kind: 'ivf', lists: 4 });
    expect(view.userIvf?.offsets[0]).toBe(plain.manifest.users.bytes);
    expect(view.userIvf?.offsets[4]).toBe(indexed.manifest.users.bytes);
    expect(indexed.files['users.bin']?.subarray(0, plain.manifest.users.bytes)).toEqual(
      plain.files['users.bin'],
    );
  });
});

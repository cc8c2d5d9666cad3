import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LoadedModel } from '../../src/artifact/decode.js';
import type { EncodedArtifact } from '../../src/artifact/encode.js';
import { ArtifactInvalidError, InputInvalidError, ModelNotLoadedError } from '../../src/core/errors.js';
import { createModelStore } from '../../src/store/model-store.js';
import { publishModel } from '../../src/store/publish.js';
import { tinyArtifact, tinyModel } from '../helpers/tiny-model.js';

function artifact(seed: number, minute = seed): EncodedArtifact {
  return tinyArtifact({ seed, minute });
}

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'store-unit-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('Function: publishModel (local directory)', () => {
  it('writes the version folder with extra files, then the pointer', async () => {
    const encoded = artifact(1);
    const result = await publishModel(root, encoded, { 'report.html': '<html></html>' });
    const version = encoded.manifest.version;
    expect({
      result,
      top: (await readdir(root)).sort(),
      files: (await readdir(join(root, 'models', version))).sort(),
      pointer: JSON.parse(await readFile(join(root, 'latest.json'), 'utf8')),
      manifest: JSON.parse(await readFile(join(root, 'models', version, 'manifest.json'), 'utf8')),
      bundle: Buffer.from(await readFile(join(root, 'models', version, 'model.bin'))).equals(
        Buffer.from(encoded.bundle),
      ),
    }).toEqual({
      result: { version, uri: root, manifestUri: `${root}/models/${version}/manifest.json` },
      top: ['latest.json', 'models'],
      files: ['manifest.json', 'model.bin', 'report.html'],
      pointer: { version, manifest: `models/${version}/manifest.json` },
      manifest: encoded.manifest,
      bundle: true,
    });
  });

  it('refuses extra file names that could escape or replace the version files', async () => {
    await expect(publishModel(root, artifact(1), { '../x': 'a' })).rejects.toBeInstanceOf(InputInvalidError);
    await expect(publishModel(root, artifact(1), { 'model.bin': 'a' })).rejects.toBeInstanceOf(
      InputInvalidError,
    );
    expect(await readdir(root)).toEqual([]);
  });
});

describe('Function: createModelStore (local directory)', () => {
  it('loads the latest version once for concurrent callers and prepares it once', async () => {
    const encoded = artifact(1);
    await publishModel(root, encoded);
    const prepare = vi.fn((loaded: LoadedModel) => ({ wrapped: loaded.version }));
    const store = createModelStore({ uri: root, prepare });
    const [a, b, c] = await Promise.all([store.load(), store.load(), store.load()]);
    const again = await store.load();
    expect({
      same: a === b && b === c && c === again,
      value: a,
      prepared: prepare.mock.calls.length,
      version: store.version(),
      current: store.current(),
      model: store.loaded()?.model,
    }).toEqual({
      same: true,
      value: { wrapped: encoded.manifest.version },
      prepared: 1,
      version: encoded.manifest.version,
      current: { wrapped: encoded.manifest.version },
      model: tinyModel({ seed: 1 }),
    });
  });

  it('loads a pinned version rather than the latest', async () => {
    const first = artifact(1);
    await publishModel(root, first);
    await publishModel(root, artifact(2));
    const store = createModelStore({ uri: root, version: first.manifest.version, prepare: (m) => m.version });
    expect(await store.load()).toBe(first.manifest.version);
  });

  it('fails clearly for a pinned version that does not exist', async () => {
    await publishModel(root, artifact(1));
    const store = createModelStore({
      uri: root,
      version: '20990101T000000Z-00000000',
      prepare: (m) => m.version,
    });
    await expect(store.load()).rejects.toThrow(
      new ModelNotLoadedError(
        `Model version 20990101T000000Z-00000000 not found: ${root}/models/20990101T000000Z-00000000/manifest.json does not exist`,
      ),
    );
  });

  it('fails clearly on an empty root and loads once a model is published', async () => {
    const log: Record<string, unknown>[] = [];
    const store = createModelStore({ uri: root, prepare: (m) => m.version, log: (e) => log.push(e) });
    await expect(store.load()).rejects.toThrow(`No model published at ${root}: latest.json not found`);
    expect(store.lastError()).toBeInstanceOf(ModelNotLoadedError);
    const encoded = artifact(1);
    await publishModel(root, encoded);
    expect({
      version: await store.load(),
      lastError: store.lastError(),
      events: log.map((e) => e.event),
    }).toEqual({
      version: encoded.manifest.version,
      lastError: undefined,
      events: ['model_load_failed', 'model_loaded'],
    });
  });

  it('refuses a manifest of an unknown format version before reading the bundle', async () => {
    const encoded = artifact(1);
    await publishModel(root, encoded);
    const version = encoded.manifest.version;
    await writeFile(
      join(root, 'models', version, 'manifest.json'),
      JSON.stringify({ ...encoded.manifest, formatVersion: 9 }),
    );
    await rm(join(root, 'models', version, 'model.bin'));
    const store = createModelStore({ uri: root, prepare: (m) => m.version });
    await expect(store.load()).rejects.toThrow(
      new ArtifactInvalidError(
        `Model version ${version} at ${root} is invalid: manifest.json has unknown format version 9 (this reader supports 1)`,
      ),
    );
  });

  it('swaps to a newly published version on refresh, and ignores an unchanged pointer', async () => {
    const first = artifact(1);
    const second = artifact(2);
    await publishModel(root, first);
    const log: Record<string, unknown>[] = [];
    const store = createModelStore({
      uri: root,
      prepare: (m) => ({ v: m.version }),
      log: (e) => log.push(e),
    });
    const before = await store.load();
    const unchanged = await store.refreshNow();
    await publishModel(root, second);
    const swapped = await store.refreshNow();
    expect({
      unchanged,
      swapped,
      before,
      after: store.current(),
      model: store.loaded()?.model,
      events: log.map(({ event, version, previousVersion }) => ({ event, version, previousVersion })),
    }).toEqual({
      unchanged: false,
      swapped: true,
      before: { v: first.manifest.version },
      after: { v: second.manifest.version },
      model: tinyModel({ seed: 2 }),
      events: [
        { event: 'model_loaded', version: first.manifest.version, previousVersion: undefined },
        { event: 'model_swapped', version: second.manifest.version, previousVersion: first.manifest.version },
      ],
    });
  });

  it('keeps serving the old model when a new version is corrupt, and logs why', async () => {
    const first = artifact(1);
    const second = artifact(2);
    await publishModel(root, first);
    const log: Record<string, unknown>[] = [];
    const store = createModelStore({ uri: root, prepare: (m) => m.version, log: (e) => log.push(e) });
    await store.load();
    await publishModel(root, second);
    const bundlePath = join(root, 'models', second.manifest.version, 'model.bin');
    const bytes = await readFile(bundlePath);
    bytes[10] = (bytes[10]! + 1) % 256;
    await writeFile(bundlePath, bytes);

    const swapped = await store.refreshNow();
    const message = `Model version ${second.manifest.version} at ${root} is invalid: model.bin section item_factors sha256 mismatch`;
    expect({
      swapped,
      current: store.current(),
      error: store.lastError()?.message.startsWith(message),
      errorClass: store.lastError()?.name,
      last: { ...log.at(-1), error: typeof log.at(-1)?.error },
    }).toEqual({
      swapped: false,
      current: first.manifest.version,
      error: true,
      errorClass: 'ArtifactInvalidError',
      last: {
        event: 'model_refresh_failed',
        uri: root,
        version: second.manifest.version,
        servingVersion: first.manifest.version,
        error: 'string',
      },
    });
  });

  it('polls the pointer on a timer once started, and stops when asked', async () => {
    await publishModel(root, artifact(1));
    const store = createModelStore({ uri: root, refreshSeconds: 0.02, prepare: (m) => m.version });
    await store.load();
    store.startRefresh();
    const second = artifact(2);
    await publishModel(root, second);
    await vi.waitFor(() => expect(store.version()).toBe(second.manifest.version), {
      timeout: 5000,
      interval: 10,
    });
    store.stop();
  });
});

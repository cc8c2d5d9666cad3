import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extract, list } from 'tar';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createModelStore } from '../../src/store/model-store.js';
import { publishModel } from '../../src/store/publish.js';
import { createSageMakerTarball } from '../../training/tarball.js';
import { tinyArtifact, tinyModel } from '../helpers/tiny-model.js';

const artifact = (seed: number) => tinyArtifact({ seed });

let work: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'tarball-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

async function entries(file: string): Promise<string[]> {
  const names: string[] = [];
  await list({ file, onReadEntry: (entry) => names.push(entry.path) });
  return names.sort();
}

describe('Function: createSageMakerTarball', () => {
  it('packs the latest version with a pointer, loadable as /opt/ml/model once unpacked', async () => {
    const root = join(work, 'artifacts');
    await publishModel(root, artifact(1));
    const latest = artifact(2);
    await publishModel(root, latest, { 'report.html': '<html></html>' });
    const result = await createSageMakerTarball(root, join(work, 'out', 'model.tar.gz'));
    const unpacked = join(work, 'opt-ml-model');
    await mkdir(unpacked);
    await extract({ file: result.file, cwd: unpacked });
    const store = createModelStore({ uri: unpacked, prepare: (m) => m });
    const v = latest.manifest.version;
    expect({
      result: { ...result, bytes: result.bytes > 0 },
      entries: (await entries(result.file)).filter((name) => !name.endsWith('/')),
      loaded: await store.load(),
    }).toEqual({
      result: { file: join(work, 'out', 'model.tar.gz'), version: v, bytes: true },
      entries: [
        'latest.json',
        `models/${v}/manifest.json`,
        `models/${v}/model.bin`,
        `models/${v}/report.html`,
      ],
      loaded: { version: v, manifest: latest.manifest, model: tinyModel({ seed: 2 }) },
    });
  });

  it('packs an older version on request, pointing latest.json at it', async () => {
    const root = join(work, 'artifacts');
    const older = artifact(1);
    await publishModel(root, older);
    await publishModel(root, artifact(2));
    const result = await createSageMakerTarball(root, join(work, 'model.tar.gz'), older.manifest.version);
    const unpacked = join(work, 'unpacked');
    await mkdir(unpacked);
    await extract({ file: result.file, cwd: unpacked });
    expect(await createModelStore({ uri: unpacked, prepare: (m) => m.version }).load()).toBe(
      older.manifest.version,
    );
  });

  it('refuses to pack a version that fails verification', async () => {
    const root = join(work, 'artifacts');
    const good = artifact(1);
    const corrupt = new Uint8Array(good.bundle);
    corrupt[0] = (corrupt[0]! + 1) % 256;
    await publishModel(root, { manifest: good.manifest, bundle: corrupt });
    await expect(createSageMakerTarball(root, join(work, 'model.tar.gz'))).rejects.toThrow(/sha256 mismatch/);
  });
});

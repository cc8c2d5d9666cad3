import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, extract, list } from 'tar';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pointerFor } from '../../src/artifact/format.js';
import { publishModel } from '../../src/store/publish.js';
import { localSource } from '../../src/store/source.js';
import { type FetchedVersion, fetchVersion } from '../../src/store/version.js';
import { createSageMakerTarball, readSageMakerTarball } from '../../training/tarball.js';
import { artifactById, modelById } from '../helpers/read-back.js';
import { tinyArtifact, tinyModel } from '../helpers/tiny-model.js';
import { encodeV1Model, publishV1Local } from '../helpers/v1-artifact.js';

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
  return names.filter((name) => !name.endsWith('/')).sort();
}

/** Unpacks a tarball as SageMaker does into /opt/ml/model and loads the version its pointer names. */
async function loadUnpacked(file: string): Promise<FetchedVersion> {
  const dir = join(work, `opt-ml-model-${Math.random().toString(36).slice(2)}`);
  await mkdir(dir);
  await extract({ file, cwd: dir });
  const source = localSource({ kind: 'local', dir, uri: dir });
  const read = await source.readPointer();
  if (!read.changed || !read.pointer) throw new Error('no pointer in the tarball');
  const fetched = await fetchVersion(source, read.pointer, false, {
    allocateItems: (bytes) => new Uint8Array(bytes),
    preloadUsersBytes: Number.POSITIVE_INFINITY,
  });
  await source.close();
  return fetched;
}

describe('Function: createSageMakerTarball', () => {
  it('packs the latest version with a pointer, loadable as /opt/ml/model once unpacked', async () => {
    // Prepare
    const root = join(work, 'artifacts');
    await publishModel(root, artifact(1));
    const latest = artifact(2);
    await publishModel(root, latest, { 'report.html': '<html></html>' });
    const v = latest.manifest.version;

    // Act
    const result = await createSageMakerTarball(root, join(work, 'out', 'model.tar.gz'));
    const loaded = await loadUnpacked(result.file);

    // Assess
    const users = loaded.users.kind === 'memory' ? loaded.users.bytes : new Uint8Array(0);
    expect({
      result: { ...result, bytes: result.bytes > 0 },
      entries: await entries(result.file),
      version: loaded.version,
      manifest: loaded.manifest,
      answers: artifactById(loaded.view, users, tinyModel({ seed: 2 }).userIds),
    }).toEqual({
      result: { file: join(work, 'out', 'model.tar.gz'), version: v, bytes: true },
      entries: [
        'latest.json',
        `models/${v}/items.bin`,
        `models/${v}/manifest.json`,
        `models/${v}/report.html`,
        `models/${v}/users.bin`,
      ],
      version: v,
      manifest: latest.manifest,
      answers: modelById(tinyModel({ seed: 2 })),
    });
  });

  it('packs an older version on request, pointing latest.json at it', async () => {
    // Prepare
    const root = join(work, 'artifacts');
    const older = artifact(1);
    await publishModel(root, older);
    await publishModel(root, artifact(2));

    // Act
    const result = await createSageMakerTarball(root, join(work, 'model.tar.gz'), older.manifest.version);
    const loaded = await loadUnpacked(result.file);

    // Assess
    expect({ result: result.version, loaded: loaded.version }).toEqual({
      result: older.manifest.version,
      loaded: older.manifest.version,
    });
  });

  it('packs a format-1 version as it was published, still loadable', async () => {
    // Prepare
    const root = join(work, 'artifacts');
    const model = tinyModel({ seed: 4 });
    const v1 = encodeV1Model(model, {
      params: { factors: 4, regularization: 0.01, alpha: 1, iterations: 1, cgSteps: 3, threads: 1, seed: 1 },
      datasetDigest: 'v1',
      createdAt: new Date('2024-01-01T00:00:00Z'),
    });
    await publishV1Local(root, v1);
    const v = v1.manifest.version;

    // Act
    const result = await createSageMakerTarball(root, join(work, 'model.tar.gz'));
    const loaded = await loadUnpacked(result.file);

    // Assess
    const users = loaded.users.kind === 'memory' ? loaded.users.bytes : new Uint8Array(0);
    expect({
      entries: await entries(result.file),
      version: loaded.version,
      convertedFrom: loaded.convertedFrom,
      answers: artifactById(loaded.view, users, model.userIds),
    }).toEqual({
      entries: ['latest.json', `models/${v}/manifest.json`, `models/${v}/model.bin`],
      version: v,
      convertedFrom: 1,
      answers: modelById(model),
    });
  });

  it('refuses to pack a version whose items.bin or users.bin fails verification', async () => {
    // Prepare
    const root = join(work, 'artifacts');
    const good = artifact(1);
    await publishModel(root, good);
    const dir = join(root, 'models', good.manifest.version);
    const items = await readFile(join(dir, 'items.bin'));
    const users = await readFile(join(dir, 'users.bin'));

    // Act
    items[0] = (items[0] as number) ^ 1;
    await writeFile(join(dir, 'items.bin'), items);
    const badItems = await createSageMakerTarball(root, join(work, 'a.tar.gz')).catch(
      (e: Error) => e.message,
    );
    items[0] = (items[0] as number) ^ 1;
    await writeFile(join(dir, 'items.bin'), items);
    users[users.length - 1] = (users[users.length - 1] as number) ^ 1;
    await writeFile(join(dir, 'users.bin'), users);
    const badUsers = await createSageMakerTarball(root, join(work, 'b.tar.gz')).catch(
      (e: Error) => e.message,
    );

    // Assess
    expect({ badItems, badUsers }).toEqual({
      badItems: expect.stringMatching(
        /is invalid: items\.bin sha256 mismatch: .* \(section item_factors differs\)$/,
      ),
      badUsers: expect.stringMatching(/is invalid: users\.bin sha256 mismatch: /),
    });
  });

  it('says no model is published for an empty root, and not found for a missing pinned version', async () => {
    // Prepare
    const root = join(work, 'artifacts');
    await mkdir(root);

    // Act
    const messages = [
      await createSageMakerTarball(root, join(work, 'a.tar.gz')).catch((e: Error) => e.message),
      await createSageMakerTarball(root, join(work, 'b.tar.gz'), '20990101T000000Z-00000000').catch(
        (e: Error) => e.message,
      ),
    ];

    // Assess
    expect(messages).toEqual([
      `No model published at ${root}: latest.json not found`,
      `Model version 20990101T000000Z-00000000 not found: ${root}/${pointerFor('20990101T000000Z-00000000').manifest} does not exist`,
    ]);
  });
});

describe('Function: readSageMakerTarball', () => {
  it('reads back the version a job packed from /opt/ml/model, with its extra files, ready to publish', async () => {
    // Prepare: /opt/ml/model as a job leaves it, packed as SageMaker packs it
    const modelDir = join(work, 'opt-ml-model');
    const original = artifact(3);
    await publishModel(modelDir, original, { 'report.html': '<p>report</p>' });
    const file = join(work, 'model.tar.gz');
    await create({ gzip: true, file, cwd: modelDir }, ['latest.json', 'models']);

    // Act
    const unpacked = await readSageMakerTarball(file);
    await publishModel(join(work, 'republished'), unpacked.artifact, unpacked.extras);

    // Assess
    expect(unpacked.version).toBe(original.manifest.version);
    expect(unpacked.artifact).toEqual(original);
    expect(new TextDecoder().decode(unpacked.extras['report.html'])).toBe('<p>report</p>');
    expect(
      await readFile(join(work, 'republished', 'models', original.manifest.version, 'items.bin')),
    ).toEqual(Buffer.from(original.files['items.bin'] as Uint8Array));
  });

  it('refuses a tarball without a model and one whose version fails verification', async () => {
    // Prepare
    await mkdir(join(work, 'empty'));
    await writeFile(join(work, 'empty', 'notes.txt'), 'no model');
    await create({ gzip: true, file: join(work, 'empty.tar.gz'), cwd: join(work, 'empty') }, ['notes.txt']);
    const modelDir = join(work, 'broken');
    const good = artifact(4);
    await publishModel(modelDir, good);
    const users = join(modelDir, 'models', good.manifest.version, 'users.bin');
    const bytes = await readFile(users);
    bytes[0] = (bytes[0] as number) ^ 1;
    await writeFile(users, bytes);
    await create({ gzip: true, file: join(work, 'broken.tar.gz'), cwd: modelDir }, ['latest.json', 'models']);

    // Act
    const empty = await readSageMakerTarball(join(work, 'empty.tar.gz')).catch((e: Error) => e.message);
    const broken = await readSageMakerTarball(join(work, 'broken.tar.gz')).catch((e: Error) => e.message);

    // Assess
    expect(empty).toMatch(/^No model published at .*: latest\.json not found$/);
    expect(broken).toMatch(/is invalid: users\.bin sha256 mismatch: /);
  });
});

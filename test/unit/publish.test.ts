import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EncodedArtifact } from '../../src/artifact/encode.js';
import { InputInvalidError } from '../../src/core/errors.js';
import { publishModel } from '../../src/store/publish.js';
import { tinyArtifact } from '../helpers/tiny-model.js';

const artifact = (seed: number): EncodedArtifact => tinyArtifact({ seed });

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'publish-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const pointerText = async (): Promise<unknown> =>
  JSON.parse(await readFile(join(root, 'latest.json'), 'utf8'));

describe('Function: publishModel (local directory)', () => {
  it('writes the version files with extra files, then the pointer, leaving no temporary files', async () => {
    // Prepare
    const encoded = artifact(1);
    const v = encoded.manifest.version;

    // Act
    const result = await publishModel(root, encoded, {
      'report.html': '<html></html>',
      'data.bin': Uint8Array.of(1, 2),
    });

    // Assess
    const dir = join(root, 'models', v);
    const same = async (name: string): Promise<boolean> =>
      Buffer.from(await readFile(join(dir, name))).equals(Buffer.from(encoded.files[name]!));
    expect({
      result,
      top: (await readdir(root)).sort(),
      files: (await readdir(dir)).sort(),
      pointer: await pointerText(),
      manifest: JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')),
      items: await same('items.bin'),
      users: await same('users.bin'),
      report: await readFile(join(dir, 'report.html'), 'utf8'),
      data: [...(await readFile(join(dir, 'data.bin')))],
    }).toEqual({
      result: { version: v, uri: root, manifestUri: `${root}/models/${v}/manifest.json` },
      top: ['latest.json', 'models'],
      files: ['data.bin', 'items.bin', 'manifest.json', 'report.html', 'users.bin'],
      pointer: { version: v, manifest: `models/${v}/manifest.json` },
      manifest: encoded.manifest,
      items: true,
      users: true,
      report: '<html></html>',
      data: [1, 2],
    });
  });

  it('moves the pointer to a newer version and keeps the older one', async () => {
    // Prepare
    const first = artifact(1);
    const second = artifact(2);

    // Act
    await publishModel(root, first);
    await publishModel(root, second);

    // Assess
    expect({ versions: (await readdir(join(root, 'models'))).sort(), pointer: await pointerText() }).toEqual({
      versions: [first.manifest.version, second.manifest.version].sort(),
      pointer: {
        version: second.manifest.version,
        manifest: `models/${second.manifest.version}/manifest.json`,
      },
    });
  });

  it('refuses extra file names that could escape or replace the version files, writing nothing', async () => {
    // Prepare
    const names = ['../x', 'a/b', 'items.bin', 'users.bin', 'manifest.json', '.hidden', ''];

    // Act
    const results = await Promise.all(
      names.map((name) =>
        publishModel(root, artifact(1), { [name]: 'a' }).then(
          () => 'accepted',
          (error: unknown) => (error instanceof InputInvalidError ? 'refused' : 'wrong error'),
        ),
      ),
    );

    // Assess
    expect({ results, written: await readdir(root) }).toEqual({
      results: names.map(() => 'refused'),
      written: [],
    });
  });

  it('leaves the pointer on the old version when a version file cannot be written', async () => {
    // Prepare: the new version's folder is taken by a file, so its files cannot be written
    const first = artifact(1);
    const second = artifact(2);
    await publishModel(root, first);
    await mkdir(join(root, 'models'), { recursive: true });
    await writeFile(join(root, 'models', second.manifest.version), 'in the way');

    // Act
    const failure = await publishModel(root, second).then(
      () => undefined,
      (error: unknown) => error,
    );

    // Assess
    expect({ failed: failure instanceof Error, pointer: await pointerText() }).toEqual({
      failed: true,
      pointer: {
        version: first.manifest.version,
        manifest: `models/${first.manifest.version}/manifest.json`,
      },
    });
  });
});

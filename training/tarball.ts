/**
 * Packs one published local model version as a SageMaker `model.tar.gz`. SageMaker unpacks it into
 * `/opt/ml/model`, where the store reads the same layout as anywhere else: `latest.json` + `models/<v>/...`.
 * @module
 */
import { copyFile, link, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { create } from 'tar';
import { POINTER_FILE, pointerFor, versionDir } from '../src/artifact/index.js';
import { ModelNotLoadedError } from '../src/core/errors.js';
import { fetchVersion, openArtifactSource } from '../src/store/index.js';

/** What {@link createSageMakerTarball} wrote. */
export interface TarballResult {
  file: string;
  version: string;
  bytes: number;
}

/** Hard links avoid copying a large bundle; a copy covers roots on another file system. */
async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch {
    await copyFile(from, to);
  }
}

async function verifiedVersion(root: string, version: string | undefined): Promise<string> {
  const source = openArtifactSource(root);
  let pointer = version === undefined ? undefined : pointerFor(version);
  if (!pointer) {
    const read = await source.readPointer();
    if (!read.changed) throw new ModelNotLoadedError(`No model published at ${root}`);
    if (read.pointer === undefined) throw read.error;
    pointer = read.pointer;
  }
  const fetched = await fetchVersion(source, pointer, version !== undefined, {
    allocateItems: (bytes) => new Uint8Array(bytes),
    preloadUsersBytes: Number.POSITIVE_INFINITY,
  });
  await source.close();
  return fetched.version;
}

/**
 * Verifies a version in a local artifact root and writes `outFile` (gzip tar) holding exactly that
 * version and a `latest.json` pointing to it.
 * @param root - a local artifact root written by `publishModel`
 * @param outFile - where to write, e.g. `artifacts/model.tar.gz`
 * @param version - the version to pack; default the one `latest.json` names
 * @throws ArtifactInvalidError / ModelNotLoadedError when the version is missing or fails verification
 */
export async function createSageMakerTarball(
  root: string,
  outFile: string,
  version?: string,
): Promise<TarballResult> {
  // Reading the version whole verifies every sha256, so a broken artifact never reaches SageMaker.
  const chosen = await verifiedVersion(root, version);
  const stage = await mkdtemp(join(tmpdir(), 'sagemaker-model-'));
  try {
    const relative = versionDir(chosen);
    const source = join(root, ...relative.split('/'));
    const target = join(stage, ...relative.split('/'));
    await mkdir(target, { recursive: true });
    for (const entry of await readdir(source, { withFileTypes: true })) {
      if (entry.isFile()) await linkOrCopy(join(source, entry.name), join(target, entry.name));
    }
    await writeFile(join(stage, POINTER_FILE), `${JSON.stringify(pointerFor(chosen), null, 2)}\n`);
    await mkdir(dirname(outFile), { recursive: true });
    await create({ gzip: true, file: outFile, cwd: stage, portable: true }, [POINTER_FILE, 'models']);
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
  return { file: outFile, version: chosen, bytes: (await stat(outFile)).size };
}

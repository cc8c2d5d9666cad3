/**
 * Packs one published local model version as a SageMaker `model.tar.gz`. SageMaker unpacks it into
 * `/opt/ml/model`, where the store reads the same layout as anywhere else: `latest.json` + `models/<v>/...`.
 * @module
 */
import { copyFile, link, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { create, extract } from 'tar';
import {
  type EncodedArtifact,
  ITEMS_FILE,
  MANIFEST_FILE,
  POINTER_FILE,
  parseManifest,
  pointerFor,
  USERS_FILE,
  versionDir,
} from '../src/artifact/index.js';
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

/** A model read back from a SageMaker `model.tar.gz`: ready to publish again. */
export interface UnpackedModel {
  version: string;
  artifact: EncodedArtifact;
  /** the version's other files, e.g. `report.html` */
  extras: Record<string, Uint8Array>;
}

/**
 * Reads a `model.tar.gz` as a SageMaker training job writes it from `/opt/ml/model` (`latest.json`
 * and `models/<version>/...`): unpacks it, verifies the version the pointer names (every sha256) and
 * returns it as an artifact for `publishModel`.
 * @throws ArtifactInvalidError / ModelNotLoadedError when the tarball holds no valid model
 * @example
 * const { artifact, extras } = await readSageMakerTarball('/tmp/model.tar.gz');
 * await publishModel('s3://bucket/recommender', artifact, extras);
 */
export async function readSageMakerTarball(file: string): Promise<UnpackedModel> {
  const stage = await mkdtemp(join(tmpdir(), 'sagemaker-output-'));
  try {
    await extract({ file, cwd: stage, strict: true });
    const version = await verifiedVersion(stage, undefined);
    const dir = join(stage, ...versionDir(version).split('/'));
    const manifest = parseManifest(JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8')));
    const files: Record<string, Uint8Array> = {};
    const extras: Record<string, Uint8Array> = {};
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (!entry.isFile() || entry.name === MANIFEST_FILE) continue;
      const bytes = new Uint8Array(await readFile(join(dir, entry.name)));
      if (entry.name === ITEMS_FILE || entry.name === USERS_FILE) files[entry.name] = bytes;
      else extras[entry.name] = bytes;
    }
    return { version, artifact: { manifest, files }, extras };
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

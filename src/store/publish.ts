/**
 * Publishes an encoded model to a local directory or `s3://bucket/prefix`: the version's files first,
 * the `latest.json` pointer last, so a reader never follows the pointer to a half-written version.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import {
  type EncodedArtifact,
  MANIFEST_FILE,
  POINTER_FILE,
  pointerFor,
  versionDir,
} from '../artifact/index.js';
import { InputInvalidError } from '../core/errors.js';
import { type ModelLocation, parseModelUri, s3Key } from './location.js';
import { createS3Client } from './s3-client.js';

/** Options for {@link publishModel}; S3 ones are ignored for a local destination. */
export interface PublishOptions {
  /** client to publish with; default {@link createS3Client} with `forcePathStyle` */
  s3?: S3Client;
  forcePathStyle?: boolean;
  /** multipart part size in bytes for large files (S3 minimum 5 MiB); default 8 MiB */
  partSize?: number;
  /** parts uploaded in parallel; default 4 */
  queueSize?: number;
}

/** Where a publish went: the version id, the root to use as `MODEL_URI`, and the version's manifest. */
export interface PublishResult {
  version: string;
  uri: string;
  manifestUri: string;
}

interface VersionFile {
  name: string;
  body: Uint8Array;
  contentType: string;
}

const textEncoder = new TextEncoder();

function contentTypeOf(name: string): string {
  if (name.endsWith('.html')) return 'text/html; charset=utf-8';
  if (name.endsWith('.json')) return 'application/json';
  if (name.endsWith('.csv')) return 'text/csv';
  if (name.endsWith('.txt')) return 'text/plain; charset=utf-8';
  return 'application/octet-stream';
}

function versionFiles(
  artifact: EncodedArtifact,
  extraFiles: Record<string, Uint8Array | string>,
): VersionFile[] {
  const files: VersionFile[] = [];
  for (const [name, content] of Object.entries(extraFiles)) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) || name === MANIFEST_FILE || name in artifact.files) {
      throw new InputInvalidError(
        `Extra artifact file name ${JSON.stringify(name)} is not allowed (plain names only, not ${[MANIFEST_FILE, ...Object.keys(artifact.files)].join(', ')})`,
      );
    }
    const body = typeof content === 'string' ? textEncoder.encode(content) : content;
    files.push({ name, body, contentType: contentTypeOf(name) });
  }
  // Model files first and the manifest last within the version, so a listed manifest implies its files are there.
  return [
    ...Object.entries(artifact.files).map(([name, body]) => ({
      name,
      body,
      contentType: 'application/octet-stream',
    })),
    ...files,
    {
      name: MANIFEST_FILE,
      body: textEncoder.encode(`${JSON.stringify(artifact.manifest, null, 2)}\n`),
      contentType: 'application/json',
    },
  ];
}

/** Writes through a temporary name and renames, so readers see a file whole or not at all. */
async function writeAtomically(path: string, body: Uint8Array): Promise<void> {
  const temporary = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await writeFile(temporary, body);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

async function publishLocal(
  location: Extract<ModelLocation, { kind: 'local' }>,
  version: string,
  files: VersionFile[],
  pointer: Uint8Array,
): Promise<void> {
  const dir = join(location.dir, ...versionDir(version).split('/'));
  await mkdir(dir, { recursive: true });
  for (const file of files) await writeAtomically(join(dir, file.name), file.body);
  await writeAtomically(join(location.dir, POINTER_FILE), pointer);
}

async function publishS3(
  location: Extract<ModelLocation, { kind: 's3' }>,
  version: string,
  files: VersionFile[],
  pointer: Uint8Array,
  options: PublishOptions,
): Promise<void> {
  const client = options.s3 ?? createS3Client({ forcePathStyle: options.forcePathStyle });
  for (const file of files) {
    const key = s3Key(location.prefix, `${versionDir(version)}/${file.name}`);
    // lib-storage switches to a multipart upload only when the body exceeds one part.
    const upload = new Upload({
      client,
      params: { Bucket: location.bucket, Key: key, Body: file.body, ContentType: file.contentType },
      partSize: options.partSize ?? 8 * 1024 * 1024,
      queueSize: options.queueSize ?? 4,
      leavePartsOnError: false,
    });
    await upload.done();
  }
  await client.send(
    new PutObjectCommand({
      Bucket: location.bucket,
      Key: s3Key(location.prefix, POINTER_FILE),
      Body: pointer,
      ContentType: 'application/json',
      // Pollers must see a moved pointer promptly, even through caches.
      CacheControl: 'no-cache, max-age=0',
    }),
  );
}

/**
 * Publishes a model version and then moves `latest.json` to it. If any version file fails to write,
 * the error propagates and the pointer is not touched: readers keep the previous version.
 * @param destination - a local directory or `s3://bucket/prefix`
 * @param artifact - the output of `encodeModel`
 * @param extraFiles - more files for the version folder, e.g. `{ 'report.html': html }`
 * @example
 * const { version, uri } = await publishModel('s3://models/recommender', encodeModel(model, info), { 'report.html': html });
 */
export async function publishModel(
  destination: string,
  artifact: EncodedArtifact,
  extraFiles: Record<string, Uint8Array | string> = {},
  options: PublishOptions = {},
): Promise<PublishResult> {
  const location = parseModelUri(destination);
  const version = artifact.manifest.version;
  const files = versionFiles(artifact, extraFiles);
  const pointer = textEncoder.encode(`${JSON.stringify(pointerFor(version), null, 2)}\n`);
  if (location.kind === 'local') await publishLocal(location, version, files, pointer);
  else await publishS3(location, version, files, pointer, options);
  return { version, uri: location.uri, manifestUri: `${location.uri}/${pointerFor(version).manifest}` };
}

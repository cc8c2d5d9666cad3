/**
 * Copies one object (`s3://bucket/key`, or a local file) to a local file, streamed: how a SageMaker
 * training job's `model.tar.gz` comes down to be published.
 * @module
 */
import { createWriteStream } from 'node:fs';
import { copyFile, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ConfigInvalidError, ModelNotLoadedError } from '../core/errors.js';
import { createS3Client } from './s3-client.js';

/** Options for {@link downloadObject}; S3 ones are ignored for a local file. */
export interface DownloadOptions {
  s3?: S3Client | undefined;
  forcePathStyle?: boolean | undefined;
}

/** Splits `s3://bucket/key` into bucket and key. */
export function parseObjectUri(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!match) throw new ConfigInvalidError(`${uri} is not an S3 object URI (s3://bucket/key)`);
  return { bucket: match[1] as string, key: match[2] as string };
}

/**
 * Downloads `uri` to `file`.
 * @returns the bytes written
 * @throws ModelNotLoadedError when the object does not exist
 * @example
 * await downloadObject('s3://bucket/jobs/job-1/output/model.tar.gz', '/tmp/model.tar.gz');
 */
export async function downloadObject(
  uri: string,
  file: string,
  options: DownloadOptions = {},
): Promise<number> {
  if (!uri.startsWith('s3://')) {
    await copyFile(uri, file);
    return (await stat(file)).size;
  }
  const { bucket, key } = parseObjectUri(uri);
  const client = options.s3 ?? createS3Client({ forcePathStyle: options.forcePathStyle ?? false });
  let body: Readable;
  try {
    const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    body = response.Body as Readable;
  } catch (error) {
    const name = (error as { name?: unknown }).name;
    if (name === 'NoSuchKey' || name === 'NotFound') {
      throw new ModelNotLoadedError(`${uri} does not exist`, { cause: error });
    }
    throw error;
  }
  let bytes = 0;
  body.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  await pipeline(body, createWriteStream(file));
  return bytes;
}

/**
 * Reading input data from S3 for training: every object under a prefix (paginated listing), ranged GETs
 * (Parquet footers and column chunks) and whole objects as a stream of ranged parts (CSV), each request
 * retried on transient errors. Failures become {@link InputInvalidError} naming the object.
 * @module
 */
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { InputInvalidError } from '../core/errors.js';
import { DEFAULT_RETRY, type RetryPolicy, ShortReadError, withRetry } from './retry.js';

/** One object found under a prefix. */
export interface StoredObject {
  bucket: string;
  key: string;
  size: number;
  /** the object's ETag as S3 returns it (quoted), a content identity for the data set digest */
  etag: string;
}

/** Where an object lives and how to read it. */
export interface ObjectReader {
  client: S3Client;
  /** default {@link DEFAULT_RETRY} */
  retry?: RetryPolicy;
}

/** Bytes per ranged GET when an object is streamed whole. */
export const STREAM_PART_BYTES = 8 * 1024 * 1024;

function describe(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}

function unreadable(uri: string, error: unknown): InputInvalidError {
  if (error instanceof InputInvalidError) return error;
  return new InputInvalidError(`Cannot read ${uri}: ${describe(error)}`, { cause: error });
}

/**
 * Lists every object under `s3://bucket/prefix`, sorted by key, following continuation tokens.
 * @param reader - client and retry policy
 * @param bucket - the bucket
 * @param prefix - key prefix; '' lists the whole bucket
 * @throws InputInvalidError when the listing fails (missing bucket, no access, network)
 * @example
 * const parts = await listObjects({ client }, 'events', 'interactions/dt=2026-11-30/');
 */
export async function listObjects(
  reader: ObjectReader,
  bucket: string,
  prefix: string,
): Promise<StoredObject[]> {
  const found: StoredObject[] = [];
  let token: string | undefined;
  try {
    do {
      const page = await withRetry(
        () =>
          reader.client.send(
            new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
          ),
        reader.retry ?? DEFAULT_RETRY,
      );
      for (const item of page.Contents ?? []) {
        if (item.Key === undefined) continue;
        found.push({ bucket, key: item.Key, size: item.Size ?? 0, etag: item.ETag ?? '' });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  } catch (error) {
    throw unreadable(`s3://${bucket}/${prefix}`, error);
  }
  return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

async function bodyBytes(
  body: { transformToByteArray(): Promise<Uint8Array> } | undefined,
): Promise<Uint8Array> {
  return body === undefined ? new Uint8Array(0) : body.transformToByteArray();
}

/**
 * Reads bytes `[start, end)` of an object with one ranged GET, retried when the answer is short.
 * @throws InputInvalidError naming the object when it cannot be read
 */
export async function readObjectRange(
  reader: ObjectReader,
  object: Pick<StoredObject, 'bucket' | 'key'>,
  start: number,
  end: number,
): Promise<Uint8Array> {
  if (end <= start) return new Uint8Array(0);
  try {
    return await withRetry(async () => {
      const response = await reader.client.send(
        new GetObjectCommand({ Bucket: object.bucket, Key: object.key, Range: `bytes=${start}-${end - 1}` }),
      );
      const bytes = await bodyBytes(response.Body);
      if (bytes.byteLength !== end - start) {
        throw new ShortReadError(`got ${bytes.byteLength} of ${end - start} bytes at ${start}`);
      }
      return bytes;
    }, reader.retry ?? DEFAULT_RETRY);
  } catch (error) {
    throw unreadable(`s3://${object.bucket}/${object.key}`, error);
  }
}

/**
 * The whole object as a sequence of ranged GETs of {@link STREAM_PART_BYTES}, each retried on its own,
 * so a dropped connection costs one part, not the object.
 * @param partBytes - bytes per GET (tests use small parts)
 */
export async function* streamObject(
  reader: ObjectReader,
  object: StoredObject,
  partBytes: number = STREAM_PART_BYTES,
): AsyncGenerator<Uint8Array> {
  for (let start = 0; start < object.size; start += partBytes) {
    yield await readObjectRange(reader, object, start, Math.min(object.size, start + partBytes));
  }
}

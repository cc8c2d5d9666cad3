/**
 * The S3 artifact source: conditional GETs of the pointer (If-None-Match), and bundles fetched as
 * parallel ranged GETs straight into one buffer, each part retried on transient errors.
 * @module
 */
import { GetObjectCommand, type GetObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { POINTER_FILE } from '../artifact/format.js';
import { ArtifactInvalidError, ModelNotLoadedError } from '../core/errors.js';
import { type ModelLocation, s3Key } from './location.js';
import { type RetryPolicy, ShortReadError, withRetry } from './retry.js';
import { type ArtifactSource, parsePointer } from './source.js';

/** Tuning for bundle downloads. */
export interface RangedGetOptions {
  /** bytes per ranged GET; default 8 MiB */
  partSize: number;
  /** ranged GETs in flight at once; default 4 */
  concurrency: number;
}

export const DEFAULT_RANGED_GET: RangedGetOptions = { partSize: 8 * 1024 * 1024, concurrency: 4 };

function status(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

function isMissing(error: unknown): boolean {
  const name = (error as { name?: unknown }).name;
  return name === 'NoSuchKey' || name === 'NotFound' || status(error) === 404;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const message = error.message || error.name;
    return typeof code === 'string' && !message.includes(code) ? `${code} ${message}` : message;
  }
  return String(error);
}

/** Copies a response body into `target`, returning how many bytes arrived. */
async function readInto(body: GetObjectCommandOutput['Body'], target: Uint8Array): Promise<number> {
  if (body === undefined) return 0;
  if (!(Symbol.asyncIterator in body)) {
    const bytes = await body.transformToByteArray();
    if (bytes.byteLength > target.byteLength)
      throw new ShortReadError('S3 returned more bytes than requested');
    target.set(bytes);
    return bytes.byteLength;
  }
  let offset = 0;
  for await (const chunk of body as AsyncIterable<Uint8Array>) {
    if (offset + chunk.byteLength > target.byteLength)
      throw new ShortReadError('S3 returned more bytes than requested');
    target.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return offset;
}

/** Frees the connection of a response whose body we will not read. */
function discard(body: GetObjectCommandOutput['Body']): void {
  const destroy = (body as { destroy?: () => void } | undefined)?.destroy;
  if (typeof destroy === 'function') destroy.call(body);
}

/** `bytes 0-8388607/123456789` -> 123456789 */
function totalFromContentRange(contentRange: string | undefined): number | undefined {
  const match = contentRange?.match(/\/(\d+)$/);
  return match ? Number(match[1]) : undefined;
}

/** An S3 prefix; the pointer's tag is its ETag. Transient failures are retried per `retry`. */
export function s3Source(
  location: Extract<ModelLocation, { kind: 's3' }>,
  client: S3Client,
  retry: RetryPolicy,
  ranged: RangedGetOptions = DEFAULT_RANGED_GET,
): ArtifactSource {
  const { bucket, prefix, uri } = location;
  const unreachable = (path: string, error: unknown): ModelNotLoadedError =>
    new ModelNotLoadedError(`Cannot read ${uri}/${path}: ${describe(error)}`, { cause: error });

  const readBundle = async (path: string, bytes: number): Promise<Uint8Array> => {
    const key = s3Key(prefix, path);
    const buffer = new Uint8Array(bytes);
    const partSize = Math.max(1, ranged.partSize);
    const parts = Math.max(1, Math.ceil(bytes / partSize));
    let etag: string | undefined;

    const fetchPart = (index: number): Promise<void> =>
      withRetry(async () => {
        const start = index * partSize;
        const end = Math.min(bytes, start + partSize);
        const response = await client.send(
          new GetObjectCommand({
            Bucket: bucket,
            Key: key,
            Range: `bytes=${start}-${Math.max(start, end - 1)}`,
            // Later parts must come from the same object the first part did.
            IfMatch: index === 0 ? undefined : etag,
          }),
        );
        if (index === 0) {
          etag = response.ETag;
          const total = totalFromContentRange(response.ContentRange) ?? response.ContentLength;
          if (total !== bytes) {
            discard(response.Body);
            throw new ArtifactInvalidError(
              total !== undefined && total < bytes
                ? `${path} is truncated: ${total} of ${bytes} bytes`
                : `${path} has ${total} bytes, the manifest says ${bytes}`,
            );
          }
        }
        const received = await readInto(response.Body, buffer.subarray(start, end));
        if (received !== end - start) {
          throw new ShortReadError(`${uri}/${path}: part ${index} gave ${received} of ${end - start} bytes`);
        }
      }, retry);

    try {
      if (bytes === 0) return buffer;
      await fetchPart(0);
      let next = 1;
      let failed = false;
      const worker = async (): Promise<void> => {
        while (next < parts && !failed) {
          const index = next++;
          await fetchPart(index).catch((error: unknown) => {
            failed = true;
            throw error;
          });
        }
      };
      await Promise.all(Array.from({ length: Math.min(ranged.concurrency, parts - 1) }, worker));
      return buffer;
    } catch (error) {
      if (error instanceof ArtifactInvalidError) throw error;
      if (isMissing(error)) throw new ArtifactInvalidError(`${path} is missing`, { cause: error });
      if (status(error) === 416) {
        throw new ArtifactInvalidError(`${path} is shorter than the ${bytes} bytes the manifest says`, {
          cause: error,
        });
      }
      throw unreachable(path, error);
    }
  };

  return {
    uri,
    async readPointer(tag) {
      try {
        return await withRetry(async () => {
          const response = await client.send(
            new GetObjectCommand({ Bucket: bucket, Key: s3Key(prefix, POINTER_FILE), IfNoneMatch: tag }),
          );
          const text = (await response.Body?.transformToString('utf-8')) ?? '';
          return { changed: true as const, pointer: parsePointer(text, uri), tag: response.ETag };
        }, retry);
      } catch (error) {
        if (status(error) === 304) return { changed: false };
        if (error instanceof ArtifactInvalidError) throw error;
        if (isMissing(error)) {
          throw new ModelNotLoadedError(`No model published at ${uri}: ${POINTER_FILE} not found`, {
            cause: error,
          });
        }
        throw unreachable(POINTER_FILE, error);
      }
    },
    async readText(path) {
      try {
        return await withRetry(async () => {
          const response = await client.send(
            new GetObjectCommand({ Bucket: bucket, Key: s3Key(prefix, path) }),
          );
          return (await response.Body?.transformToString('utf-8')) ?? '';
        }, retry);
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw unreachable(path, error);
      }
    },
    readBundle,
  };
}

/**
 * The S3 artifact source: conditional GETs of the pointer (If-None-Match), whole files fetched as
 * parallel ranged GETs straight into the caller's buffer, single ranged GETs for user blocks, and
 * HEAD for a file's identity. Every request is retried on transient errors.
 * @module
 */
import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { POINTER_FILE, sizeMismatch } from '../artifact/index.js';
import { ArtifactInvalidError, ModelNotLoadedError } from '../core/errors.js';
import { type ModelLocation, s3Key } from './location.js';
import { type RetryPolicy, ShortReadError, withRetry } from './retry.js';
import { type ArtifactSource, notPublished, pointerRead } from './source.js';

/** Tuning for whole-file downloads. */
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

/**
 * Runs `parts` tasks, `concurrency` at a time after the first, starting no more after the first
 * failure, and settles only when none is still running: the parts write into the caller's memory,
 * which must be left alone once the call has failed (the caller may reuse it for a retry).
 */
async function inParallel(
  parts: number,
  concurrency: number,
  task: (index: number) => Promise<void>,
): Promise<void> {
  await task(0);
  let next = 1;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (next < parts && !failed) {
      const index = next++;
      await task(index).catch((error: unknown) => {
        failed = true;
        throw error;
      });
    }
  };
  const workers = Array.from({ length: Math.min(Math.max(1, concurrency), parts - 1) }, worker);
  const failure = (await Promise.allSettled(workers)).find((r) => r.status === 'rejected');
  if (failure) throw failure.reason;
}

interface S3Context {
  client: S3Client;
  bucket: string;
  prefix: string;
  uri: string;
  retry: RetryPolicy;
}

function unreachable(ctx: S3Context, path: string, error: unknown): ModelNotLoadedError {
  return new ModelNotLoadedError(`Cannot read ${ctx.uri}/${path}: ${describe(error)}`, {
    cause: error,
    reason: 'unreachable',
  });
}

/** The whole object in parts: the first part checks the size, later parts must match its ETag. */
async function getInto(
  ctx: S3Context,
  path: string,
  target: Uint8Array,
  ranged: RangedGetOptions,
): Promise<void> {
  const bytes = target.byteLength;
  const key = s3Key(ctx.prefix, path);
  const partSize = Math.max(1, ranged.partSize);
  let etag: string | undefined;
  const fetchPart = (index: number): Promise<void> =>
    withRetry(async () => {
      const start = index * partSize;
      const end = Math.min(bytes, start + partSize);
      const response = await ctx.client.send(
        new GetObjectCommand({
          Bucket: ctx.bucket,
          Key: key,
          Range: `bytes=${start}-${Math.max(start, end - 1)}`,
          IfMatch: index === 0 ? undefined : etag,
        }),
      );
      if (index === 0) {
        etag = response.ETag;
        const total = totalFromContentRange(response.ContentRange) ?? response.ContentLength;
        if (total !== bytes) {
          discard(response.Body);
          throw sizeMismatch(path, total, bytes);
        }
      }
      const received = await readInto(response.Body, target.subarray(start, end));
      if (received !== end - start) {
        throw new ShortReadError(
          `${ctx.uri}/${path}: part ${index} gave ${received} of ${end - start} bytes`,
        );
      }
    }, ctx.retry);
  try {
    if (bytes > 0) await inParallel(Math.ceil(bytes / partSize), ranged.concurrency, fetchPart);
  } catch (error) {
    if (error instanceof ArtifactInvalidError) throw error;
    if (isMissing(error)) throw new ArtifactInvalidError(`${path} is missing`, { cause: error });
    if (status(error) === 416) {
      throw new ArtifactInvalidError(`${path} is shorter than the ${bytes} bytes the manifest says`, {
        cause: error,
      });
    }
    throw unreachable(ctx, path, error);
  }
}

async function getRange(ctx: S3Context, path: string, start: number, end: number): Promise<Uint8Array> {
  const target = new Uint8Array(end - start);
  try {
    await withRetry(async () => {
      const response = await ctx.client.send(
        new GetObjectCommand({
          Bucket: ctx.bucket,
          Key: s3Key(ctx.prefix, path),
          Range: `bytes=${start}-${end - 1}`,
        }),
      );
      const total = totalFromContentRange(response.ContentRange);
      if (total !== undefined && total < end) {
        // A short file is a broken version: retrying the short read would only repeat it.
        discard(response.Body);
        throw new ArtifactInvalidError(`${path} is shorter than byte ${end}`);
      }
      const received = await readInto(response.Body, target);
      if (received !== target.length)
        throw new ShortReadError(`${ctx.uri}/${path}: ${received} of ${target.length} bytes`);
    }, ctx.retry);
  } catch (error) {
    if (error instanceof ArtifactInvalidError) throw error;
    if (isMissing(error)) throw new ArtifactInvalidError(`${path} is missing`, { cause: error });
    if (status(error) === 416)
      throw new ArtifactInvalidError(`${path} is shorter than byte ${end}`, { cause: error });
    throw unreachable(ctx, path, error);
  }
  return target;
}

async function getPointer(
  ctx: S3Context,
  tag: string | undefined,
): ReturnType<ArtifactSource['readPointer']> {
  try {
    return await withRetry(async () => {
      const response = await ctx.client.send(
        new GetObjectCommand({ Bucket: ctx.bucket, Key: s3Key(ctx.prefix, POINTER_FILE), IfNoneMatch: tag }),
      );
      const text = (await response.Body?.transformToString('utf-8')) ?? '';
      return pointerRead(text, ctx.uri, response.ETag);
    }, ctx.retry);
  } catch (error) {
    if (status(error) === 304) return { changed: false };
    if (isMissing(error)) {
      throw notPublished(ctx.uri, error);
    }
    throw unreachable(ctx, POINTER_FILE, error);
  }
}

/** An S3 prefix; the pointer's tag is its ETag. Transient failures are retried per `retry`. */
export function s3Source(
  location: Extract<ModelLocation, { kind: 's3' }>,
  client: S3Client,
  retry: RetryPolicy,
  ranged: RangedGetOptions = DEFAULT_RANGED_GET,
): ArtifactSource {
  const ctx: S3Context = {
    client,
    bucket: location.bucket,
    prefix: location.prefix,
    uri: location.uri,
    retry,
  };
  return {
    uri: location.uri,
    readPointer: (tag) => getPointer(ctx, tag),
    async readText(path) {
      try {
        return await withRetry(async () => {
          const response = await client.send(
            new GetObjectCommand({ Bucket: ctx.bucket, Key: s3Key(ctx.prefix, path) }),
          );
          return (await response.Body?.transformToString('utf-8')) ?? '';
        }, retry);
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw unreachable(ctx, path, error);
      }
    },
    readInto: (path, target) => getInto(ctx, path, target, ranged),
    readRange: (path, start, end) => getRange(ctx, path, start, end),
    async identity(path) {
      try {
        const head = await withRetry(
          () => client.send(new HeadObjectCommand({ Bucket: ctx.bucket, Key: s3Key(ctx.prefix, path) })),
          retry,
        );
        return `${head.ETag}:${head.ContentLength}`;
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw unreachable(ctx, path, error);
      }
    },
    release: async () => {},
    close: async () => {},
  };
}

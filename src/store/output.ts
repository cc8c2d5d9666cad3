/**
 * A file written as a stream to a local directory or `s3://bucket/prefix`: locally through a temporary
 * name renamed when complete, to S3 as a multipart upload fed as the data comes (parts of `partSize`
 * bytes, `queueSize` in flight), so an export of millions of lines never holds more than a few parts.
 * A failed or aborted output leaves nothing under its name (the multipart upload is aborted).
 * @module
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { parseModelUri, s3Key } from './location.js';
import { createS3Client } from './s3-client.js';

/** Where and how to write. */
export interface OutputOptions {
  s3?: S3Client | undefined;
  forcePathStyle?: boolean | undefined;
  /** multipart part size in bytes (S3 minimum 5 MiB); default 8 MiB */
  partSize?: number | undefined;
  /** parts uploaded in parallel; default 4 */
  queueSize?: number | undefined;
  contentType?: string | undefined;
}

/** An open output: write chunks (waiting when the sink is behind), then close or abort. */
export interface Output {
  /** `dir/name` or `s3://bucket/prefix/name` */
  readonly uri: string;
  write(chunk: string | Uint8Array): Promise<void>;
  /** finishes the file; resolves once it is complete under its name */
  close(): Promise<{ uri: string; bytes: number }>;
  /** drops what was written */
  abort(): Promise<void>;
}

/** Writes a chunk, waiting for 'drain' when the stream is full; a stream closed meanwhile rejects. */
async function written(stream: NodeJS.WritableStream, chunk: string | Uint8Array): Promise<void> {
  if (stream.write(chunk)) return;
  await new Promise<void>((resolve, reject) => {
    const settle = (error?: Error): void => {
      stream.off('drain', onDrain);
      stream.off('close', onClose);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = (): void => settle();
    const onClose = (): void => settle(new Error('the output closed before the data was written'));
    stream.on('drain', onDrain);
    stream.on('close', onClose);
  });
}

function localOutput(dir: string, name: string): Output {
  const path = join(dir, name);
  const temporary = `${path}.tmp-${process.pid}`;
  let stream: WriteStream | undefined;
  let bytes = 0;
  const open = async (): Promise<WriteStream> => {
    if (!stream) {
      await mkdir(dir, { recursive: true });
      stream = createWriteStream(temporary);
    }
    return stream;
  };
  return {
    uri: path,
    async write(chunk) {
      bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
      await written(await open(), chunk);
    },
    async close() {
      const s = await open();
      await new Promise<void>((resolve, reject) =>
        s.end((error?: Error | null) => (error ? reject(error) : resolve())),
      );
      await rename(temporary, path);
      return { uri: path, bytes };
    },
    async abort() {
      stream?.destroy();
      await rm(temporary, { force: true });
    },
  };
}

function s3Output(bucket: string, key: string, uri: string, options: OutputOptions): Output {
  const body = new PassThrough();
  const upload = new Upload({
    client: options.s3 ?? createS3Client({ forcePathStyle: options.forcePathStyle }),
    params: {
      Bucket: bucket,
      Key: key,
      Body: body,
      ContentType: options.contentType ?? 'application/octet-stream',
    },
    partSize: options.partSize ?? 8 * 1024 * 1024,
    queueSize: options.queueSize ?? 4,
    leavePartsOnError: false,
  });
  const done = upload.done();
  // A failure shows at the next write or at close; keep it from being reported as unhandled meanwhile.
  let failure: unknown;
  done.catch((error: unknown) => {
    failure = error;
    body.destroy();
  });
  let bytes = 0;
  return {
    uri,
    async write(chunk) {
      if (failure) throw failure;
      bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
      // The upload's own failure says more than the closed stream it leaves behind.
      await written(body, chunk).catch((error: unknown) => {
        throw failure ?? error;
      });
    },
    async close() {
      body.end();
      await done;
      return { uri, bytes };
    },
    async abort() {
      await upload.abort().catch(() => undefined);
      body.destroy();
    },
  };
}

/**
 * Opens `name` under `destination` (a directory or `s3://bucket/prefix`) for streaming writes.
 * @example
 * const out = openOutput('s3://exports/recs', 'recommendations.jsonl');
 * await out.write('{"userId":"u001"}\n');
 * await out.close();
 */
export function openOutput(destination: string, name: string, options: OutputOptions = {}): Output {
  const location = parseModelUri(destination);
  if (location.kind === 'local') return localOutput(location.dir, name);
  const key = s3Key(location.prefix, name);
  return s3Output(location.bucket, key, `s3://${location.bucket}/${key}`, options);
}

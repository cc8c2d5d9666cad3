/**
 * What `--interactions` and `--videos` name: one file, a directory, or an `s3://bucket/prefix/` of part
 * files, as Spark, Glue, Athena and Firehose write them. Parts are CSV, CSV.gz or Parquet, found
 * recursively, Hive-style partition folders (`dt=2026-11-30/`) giving extra columns, hidden files
 * (`_SUCCESS`, `.crc`, `_temporary/`) skipped as Hadoop's input formats skip them, in path order.
 * @module
 */
import { createHash } from 'node:crypto';
import { open, readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { InputInvalidError } from '../src/core/errors.js';
import {
  createS3Client,
  listObjects,
  type ObjectReader,
  readObjectRange,
  type StoredObject,
  streamObject,
} from '../src/store/index.js';

/** How a part is encoded. */
export type PartFormat = 'csv' | 'csv.gz' | 'parquet';

/** Random and sequential access to the bytes of one part. */
export interface PartBytes {
  /** bytes `[start, end)` */
  read(start: number, end: number): Promise<Uint8Array>;
  /** the whole part, front to back */
  chunks(): AsyncIterable<Uint8Array>;
  close(): Promise<void>;
}

/** One part file of an input. */
export interface InputPart {
  /** as shown in messages: the path, or the s3:// URI */
  name: string;
  /** path below the input root with `/` separators; the file name when the input is one file */
  relative: string;
  format: PartFormat;
  size: number;
  /** Hive-style `key=value` folders of `relative`, outermost first, values unescaped */
  partitions: readonly (readonly [string, string])[];
  open(): Promise<PartBytes>;
}

/** Where S3 inputs are read with. */
export interface InputOptions {
  /** default: the store's standard client */
  s3Client?: S3Client | undefined;
  forcePathStyle?: boolean | undefined;
}

/** Hive writes this for a null partition value. */
const HIVE_NULL = '__HIVE_DEFAULT_PARTITION__';
const PARQUET_MAGIC = 'PAR1';

/** Part files Hadoop-style readers skip: any path segment starting with `_` or `.`. */
export function isHidden(relativePath: string): boolean {
  return relativePath.split('/').some((segment) => segment.startsWith('_') || segment.startsWith('.'));
}

/** Hive escapes `/`, `=`, `%`, `:` and other characters of partition values as `%XX`. */
function hiveUnescape(text: string): string {
  return text.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) =>
    String.fromCharCode(Number.parseInt(hex, 16)),
  );
}

/** Hive-style partition columns of a part's folders (`dt=2026-11-30/type=like/part-0.csv`). */
export function partitionsOf(relativePath: string): [string, string][] {
  const folders = relativePath.split('/').slice(0, -1);
  const found: [string, string][] = [];
  for (const folder of folders) {
    const at = folder.indexOf('=');
    if (at <= 0) continue;
    const value = hiveUnescape(folder.slice(at + 1));
    found.push([hiveUnescape(folder.slice(0, at)), value === HIVE_NULL ? '' : value]);
  }
  return found;
}

/** The format a name says, or undefined when it says none (then the first bytes decide). */
export function formatOfName(name: string): PartFormat | undefined {
  const lower = name.toLowerCase();
  if (lower.endsWith('.parquet') || lower.endsWith('.parq')) return 'parquet';
  if (lower.endsWith('.gz')) return 'csv.gz';
  if (/\.(csv|tsv|txt|data|tbl)$/.test(lower)) return 'csv';
  return undefined;
}

/** The format the first bytes show: Parquet's `PAR1`, gzip's 1f 8b, else text. */
export function formatOfBytes(head: Uint8Array): PartFormat {
  if (head.length >= 4 && String.fromCharCode(...head.subarray(0, 4)) === PARQUET_MAGIC) return 'parquet';
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'csv.gz';
  return 'csv';
}

function localBytes(path: string): PartBytes {
  const handle = open(path, 'r');
  // An unhandled rejection here would crash the process before the first read reports it.
  handle.catch(() => {});
  return {
    async read(start, end) {
      const target = new Uint8Array(Math.max(0, end - start));
      const file = await handle;
      let done = 0;
      while (done < target.length) {
        const { bytesRead } = await file.read(target, done, target.length - done, start + done);
        if (bytesRead === 0) throw new InputInvalidError(`${path} is shorter than byte ${end}`);
        done += bytesRead;
      }
      return target;
    },
    async *chunks() {
      const file = await handle;
      for await (const chunk of file.createReadStream({ autoClose: false, start: 0 })) {
        yield chunk as Uint8Array;
      }
    },
    async close() {
      await (await handle).close();
    },
  };
}

function s3Bytes(reader: ObjectReader, object: StoredObject): PartBytes {
  return {
    read: (start, end) => readObjectRange(reader, object, start, end),
    chunks: () => streamObject(reader, object),
    close: async () => {},
  };
}

async function localPart(path: string, rel: string, size: number, named: boolean): Promise<InputPart> {
  const openBytes = async (): Promise<PartBytes> => localBytes(path);
  let format = formatOfName(rel) ?? (named ? 'csv' : undefined);
  if (format === undefined) {
    const bytes = await openBytes();
    try {
      format = formatOfBytes(await bytes.read(0, Math.min(4, size)));
    } finally {
      await bytes.close();
    }
  }
  return { name: path, relative: rel, format, size, partitions: partitionsOf(rel), open: openBytes };
}

async function localParts(path: string): Promise<InputPart[]> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (error) {
    throw new InputInvalidError(`Cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  if (!info.isDirectory()) {
    return [await localPart(path, path.split(sep).pop() ?? path, Number(info.size), true)];
  }
  const entries = await readdir(path, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile())
    .map((e) => relative(path, join(e.parentPath, e.name)).split(sep).join('/'))
    .filter((rel) => !isHidden(rel))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return Promise.all(
    files.map(async (rel) => {
      const full = join(path, ...rel.split('/'));
      return localPart(full, rel, Number((await stat(full)).size), false);
    }),
  );
}

function parseS3(uri: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match?.[1]) throw new InputInvalidError(`${uri} is not an s3://bucket/prefix URI`);
  return { bucket: match[1], prefix: match[2] ?? '' };
}

async function s3Parts(uri: string, options: InputOptions): Promise<InputPart[]> {
  const { bucket, prefix } = parseS3(uri);
  const reader: ObjectReader = {
    client: options.s3Client ?? createS3Client({ forcePathStyle: options.forcePathStyle }),
  };
  const folder = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
  let objects = await listObjects(reader, bucket, prefix);
  // s3://b/events names the object `events` when it exists, else the folder `events/` (not `events-old/`).
  const exact = objects.find((o) => o.key === prefix);
  objects = exact ? [exact] : objects.filter((o) => o.key.startsWith(folder) && !o.key.endsWith('/'));
  const base = exact ? prefix.slice(0, prefix.lastIndexOf('/') + 1) : folder;
  const parts: InputPart[] = [];
  for (const object of objects) {
    const rel = object.key.slice(base.length);
    if (!exact && isHidden(rel)) continue;
    const openBytes = async (): Promise<PartBytes> => s3Bytes(reader, object);
    let format = formatOfName(rel) ?? (exact ? 'csv' : undefined);
    if (format === undefined) {
      format = formatOfBytes(await readObjectRange(reader, object, 0, Math.min(4, object.size)));
    }
    const name = `s3://${bucket}/${object.key}`;
    const partitions = partitionsOf(rel);
    parts.push({ name, relative: rel, format, size: object.size, partitions, open: openBytes });
  }
  return parts;
}

/**
 * Finds the part files of an input.
 * @param input - a file, a directory, or `s3://bucket/prefix[/]`
 * @param options - the S3 client for S3 inputs
 * @returns the parts in path order (at least one)
 * @throws InputInvalidError when the input does not exist or holds no part file
 * @example
 * const parts = await listInputParts('s3://lake/events/');
 * parts.map((p) => [p.relative, p.format]); // [['dt=2026-11-30/part-00000.snappy.parquet', 'parquet'], ...]
 */
export async function listInputParts(input: string, options: InputOptions = {}): Promise<InputPart[]> {
  const parts = input.startsWith('s3://') ? await s3Parts(input, options) : await localParts(input);
  if (parts.length === 0) {
    throw new InputInvalidError(
      `${input} holds no part files (names starting with _ or . are skipped, as Hadoop does)`,
    );
  }
  return parts;
}

/**
 * The digest of an input from its parts' digests: one part keeps its own (a plain file: the sha256 of
 * its bytes, as before there were parts); several: sha256 of `<relative path>\t<part sha256>` lines in
 * path order.
 */
export function digestOfParts(parts: readonly { relative: string; read: { sha256: string } }[]): string {
  if (parts.length === 1) return (parts[0] as { read: { sha256: string } }).read.sha256;
  const hash = createHash('sha256');
  for (const p of parts) hash.update(`${p.relative}\t${p.read.sha256}\n`);
  return hash.digest('hex');
}

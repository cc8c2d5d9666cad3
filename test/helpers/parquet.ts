/**
 * Parquet files for tests, written by a real Parquet writer (hyparquet-writer): event parts, video
 * parts and Spark's exact ALS factor schema; and read back with the reader training uses (hyparquet).
 * @module
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { type FileMetaData, parquetMetadata, parquetReadObjects } from 'hyparquet';
import { type ColumnSource, parquetWriteBuffer } from 'hyparquet-writer';

/** Columns and writer options for {@link writeParquet}. */
export interface ParquetSpec {
  columns: ColumnSource[];
  /** rows per row group; default one group */
  rowGroupSize?: number;
  schema?: Parameters<typeof parquetWriteBuffer>[0]['schema'];
  codec?: 'SNAPPY' | 'UNCOMPRESSED';
  kvMetadata?: { key: string; value?: string }[];
}

/** The bytes of a Parquet file. */
export function parquetBytes(spec: ParquetSpec): Uint8Array {
  const buffer = parquetWriteBuffer({
    columnData: spec.columns,
    rowGroupSize: spec.rowGroupSize ?? 1_000_000,
    ...(spec.schema ? { schema: spec.schema } : {}),
    codec: spec.codec ?? 'SNAPPY',
    ...(spec.kvMetadata ? { kvMetadata: spec.kvMetadata } : {}),
  });
  return new Uint8Array(buffer);
}

/** Writes a Parquet file, creating its folders. */
export function writeParquet(path: string, spec: ParquetSpec): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, parquetBytes(spec));
}

/** Writes a text file, creating its folders. */
export function writeText(path: string, text: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/** One row of an export part, as hyparquet reads it. */
export interface ExportRow {
  user_id: string;
  rank: number;
  video_id: string;
  score: number;
}

function arrayBufferOf(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** Every row of a Parquet file, read by hyparquet. */
export async function readParquetRows(bytes: Uint8Array): Promise<Record<string, unknown>[]> {
  return parquetReadObjects({ file: arrayBufferOf(bytes) });
}

/** The footer of a Parquet file, read by hyparquet. */
export function readParquetMetadata(bytes: Uint8Array): FileMetaData {
  return parquetMetadata(arrayBufferOf(bytes));
}

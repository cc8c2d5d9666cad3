/**
 * One Parquet part opened with hyparquet: its schema's top-level columns, and the cells of chosen
 * columns one row group at a time (ranged reads: an S3 part is never downloaded whole). Every range read
 * is hashed for the data set digest. Parquet's time types come back as milliseconds since 1970.
 * @module
 */
import { createHash } from 'node:crypto';
import {
  type AsyncBuffer,
  type ColumnData,
  type FileMetaData,
  parquetMetadataAsync,
  parquetRead,
  parquetSchema,
  type SchemaElement,
} from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { InputInvalidError } from '../src/core/errors.js';
import type { InputPart, PartBytes } from './input-parts.js';

/** Parquet's own time types become milliseconds since 1970 (numbers, not Date objects). */
const PARSERS = {
  timestampFromMilliseconds: (v: bigint): number => Number(v),
  timestampFromMicroseconds: (v: bigint): number => Number(v) / 1e3,
  timestampFromNanoseconds: (v: bigint): number => Number(v) / 1e6,
  dateFromDays: (days: number): number => days * 86_400_000,
};

/** A decoded column of one row group: a typed array or an array of values (null for a null cell). */
export type Cells = ArrayLike<unknown>;

/** How a column's cells read: text, numbers, times (ms), lists (Parquet LIST), or something else. */
export type CellKind = 'text' | 'number' | 'time' | 'list' | 'other';

/** The kind of a top-level column's cells, from its Parquet type. */
export function kindOf(element: SchemaElement, nested: boolean): CellKind {
  const { type, converted_type: converted, logical_type: logical } = element;
  if (nested) return converted === 'LIST' || logical?.type === 'LIST' ? 'list' : 'other';
  if (type === 'INT96' || converted === 'DATE' || converted?.startsWith('TIMESTAMP')) return 'time';
  if (logical?.type === 'TIMESTAMP' || logical?.type === 'DATE') return 'time';
  if (type === 'BYTE_ARRAY' || type === 'FIXED_LEN_BYTE_ARRAY')
    return converted === 'DECIMAL' ? 'number' : 'text';
  if (type === 'INT32' || type === 'INT64' || type === 'FLOAT' || type === 'DOUBLE') return 'number';
  return 'other';
}

/** One row group's cells, per column name. */
export interface RowGroupCells {
  index: number;
  /** row of the file where the group starts (0-based) */
  start: number;
  rows: number;
  cells: ReadonlyMap<string, Cells>;
}

/** An open Parquet part. */
export interface ParquetPart {
  name: string;
  /** top-level column names, in schema order */
  names: string[];
  kinds: CellKind[];
  /** row groups: rows of each */
  groupRows: number[];
  /** reads the named columns of row group `index` */
  readGroup(index: number, columns: readonly string[]): Promise<RowGroupCells>;
  /** sha256 over the ranges read so far, in file order */
  digest(): string;
  close(): Promise<void>;
}

/** An AsyncBuffer over a part that hashes every range it reads, for the data set digest. */
function hashingBuffer(bytes: PartBytes, size: number): { file: AsyncBuffer; digest(): string } {
  const ranges: [number, string][] = [];
  const file: AsyncBuffer = {
    byteLength: size,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const data = await bytes.read(start, end ?? size);
      ranges.push([start, createHash('sha256').update(data).digest('hex')]);
      const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
      return (whole ? data.buffer : data.slice().buffer) as ArrayBuffer;
    },
  };
  const digest = (): string => {
    const hash = createHash('sha256');
    for (const [start, sha] of [...ranges].sort((a, b) => a[0] - b[0])) hash.update(`${start}:${sha}\n`);
    return hash.digest('hex');
  };
  return { file, digest };
}

/** The cells of rows `[0, rows)` of a row group from the chunks hyparquet handed over. */
function assemble(chunks: readonly ColumnData[], groupStart: number, rows: number): Cells {
  const only = chunks[0];
  if (chunks.length === 1 && only && only.rowStart === groupStart && only.columnData.length === rows) {
    return only.columnData;
  }
  const out = new Array<unknown>(rows);
  for (const chunk of chunks) {
    const data = chunk.columnData;
    for (let i = 0; i < data.length; i++) {
      const at = chunk.rowStart - groupStart + i;
      if (at >= 0 && at < rows) out[at] = data[i];
    }
  }
  return out;
}

function damaged(part: InputPart, what: string, error: unknown): InputInvalidError {
  return new InputInvalidError(`${part.name} ${what}: ${(error as Error).message}`, { cause: error });
}

/**
 * Opens a Parquet part and reads its footer.
 * @throws InputInvalidError when the part is not a readable Parquet file
 */
export async function openParquet(part: InputPart): Promise<ParquetPart> {
  const bytes = await part.open();
  const { file, digest } = hashingBuffer(bytes, part.size);
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(file);
  } catch (error) {
    await bytes.close();
    throw damaged(part, 'is not a readable Parquet file', error);
  }
  const top = parquetSchema(metadata).children;
  const groupRows = metadata.row_groups.map((g) => Number(g.num_rows));
  const starts = groupRows.map((_, i) => groupRows.slice(0, i).reduce((a, b) => a + b, 0));
  return {
    name: part.name,
    names: top.map((c) => c.element.name),
    kinds: top.map((c) => kindOf(c.element, c.children.length > 0)),
    groupRows,
    async readGroup(index, columns) {
      const start = starts[index] as number;
      const rows = groupRows[index] as number;
      const chunks = new Map<string, ColumnData[]>();
      try {
        await parquetRead({
          file,
          metadata,
          columns: [...new Set(columns)],
          rowStart: start,
          rowEnd: start + rows,
          compressors,
          parsers: PARSERS,
          onChunk(chunk) {
            const list = chunks.get(chunk.columnName) ?? [];
            list.push(chunk);
            chunks.set(chunk.columnName, list);
          },
        });
      } catch (error) {
        if (error instanceof InputInvalidError) throw error;
        throw damaged(part, `row group ${index} is unreadable`, error);
      }
      const cells = new Map<string, Cells>();
      for (const [name, list] of chunks) cells.set(name, assemble(list, start, rows));
      return { index, start, rows, cells };
    },
    digest,
    close: () => bytes.close(),
  };
}

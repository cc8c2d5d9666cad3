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
  type SchemaTree,
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

type Numeric = BigInt64Array | Int32Array | Float64Array | Float32Array;

function isNumeric(data: unknown): data is Numeric {
  return (
    data instanceof BigInt64Array ||
    data instanceof Int32Array ||
    data instanceof Float64Array ||
    data instanceof Float32Array
  );
}

/**
 * INT64 cells as plain numbers (divided by `divisor`, for time units) when every one is a safe integer,
 * read through an Int32 view so no BigInt is made per cell; else the cells unchanged.
 */
export function int64Numbers(data: BigInt64Array, divisor = 1): Float64Array | BigInt64Array {
  const words = new Int32Array(data.buffer, data.byteOffset, data.length * 2);
  const out = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const hi = words[2 * i + 1] as number;
    if (hi > 0x1fffff || hi < -0x200000) return data;
    out[i] = (hi * 4294967296 + ((words[2 * i] as number) >>> 0)) / divisor;
  }
  return out;
}

/** The cells of rows `[0, rows)` of a row group from the chunks hyparquet handed over. */
function assemble(chunks: readonly ColumnData[], groupStart: number, rows: number): Cells {
  const only = chunks[0];
  if (chunks.length === 1 && only && only.rowStart === groupStart && only.columnData.length === rows) {
    return only.columnData;
  }
  const first = only?.columnData;
  const contiguous = chunks.every((c, i) => c.rowStart === groupStart + (i === 0 ? 0 : sumBefore(chunks, i)));
  if (isNumeric(first) && contiguous && chunks.every((c) => c.columnData.constructor === first.constructor)) {
    const out = new (first.constructor as new (n: number) => Numeric)(rows);
    let at = 0;
    for (const chunk of chunks) {
      const data = chunk.columnData as Numeric;
      out.set(data.subarray(0, Math.min(data.length, rows - at)) as never, at);
      at += data.length;
    }
    return out;
  }
  if (contiguous && chunks.every((c) => Array.isArray(c.columnData))) {
    const arrays = chunks.map((c) => c.columnData as unknown[]);
    const joined = (arrays[0] as unknown[]).concat(...arrays.slice(1));
    return joined.length === rows ? joined : joined.slice(0, rows);
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

function sumBefore(chunks: readonly ColumnData[], index: number): number {
  let sum = 0;
  for (let i = 0; i < index; i++) sum += (chunks[i] as ColumnData).columnData.length;
  return sum;
}

/**
 * INT64 TIMESTAMP columns lose their annotation before reading, so hyparquet hands over the raw
 * BigInt64Array instead of a Date (or a parser call) per cell; the unit's divisor to milliseconds is kept.
 */
function rawTimeColumns(top: readonly SchemaTree[]): Map<string, number> {
  const divisors = new Map<string, number>();
  for (const { element, children } of top) {
    if (element.type !== 'INT64' || children.length > 0) continue;
    const unit =
      element.logical_type?.type === 'TIMESTAMP'
        ? element.logical_type.unit
        : element.converted_type === 'TIMESTAMP_MILLIS'
          ? 'MILLIS'
          : element.converted_type === 'TIMESTAMP_MICROS'
            ? 'MICROS'
            : undefined;
    if (unit === undefined) continue;
    divisors.set(element.name, unit === 'MILLIS' ? 1 : unit === 'MICROS' ? 1e3 : 1e6);
    element.converted_type = undefined;
    element.logical_type = undefined;
  }
  return divisors;
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
  const kinds = top.map((c) => kindOf(c.element, c.children.length > 0));
  const timeDivisors = rawTimeColumns(top);
  const groupRows = metadata.row_groups.map((g) => Number(g.num_rows));
  const starts = groupRows.map((_, i) => groupRows.slice(0, i).reduce((a, b) => a + b, 0));
  return {
    name: part.name,
    names: top.map((c) => c.element.name),
    kinds,
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
      for (const [name, list] of chunks) {
        const data = assemble(list, start, rows);
        cells.set(name, data instanceof BigInt64Array ? int64Numbers(data, timeDivisors.get(name)) : data);
      }
      return { index, start, rows, cells };
    },
    digest,
    close: () => bytes.close(),
  };
}

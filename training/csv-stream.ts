/**
 * Streaming a CSV file record by record with csv-parse, hashing its bytes on the way, so neither the
 * text nor the records of a large file are ever held in memory at once.
 * @module
 */

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { type CsvError, parse } from 'csv-parse';
import { InputInvalidError } from '../src/core/errors.js';

/** What streaming a file saw, besides its records. */
export interface CsvStreamResult {
  /** sha256 (hex) of the file's bytes as stored (compressed bytes for `.gz`). */
  sha256: string;
  bytes: number;
}

/** A CSV held somewhere other than a local path (a part of a directory or an S3 prefix). */
export interface CsvSource {
  /** named in errors */
  name: string;
  gzip: boolean;
  chunks(): AsyncIterable<Uint8Array>;
}

/** Receives the records of a file. Lines are 1-based lines of the (decompressed) text. */
export interface CsvSink {
  /** One record; `line` is where it starts. The array is the sink's to keep. */
  record(fields: string[], line: number): void;
  /** A stretch the parser could not read (e.g. an unclosed quote); the parser resumes after it. */
  parseError(line: number, message: string): void;
}

function newlinesIn(fields: readonly string[]): number {
  let n = 0;
  for (const f of fields) {
    if (!f.includes('\n')) continue;
    for (let i = f.indexOf('\n'); i !== -1; i = f.indexOf('\n', i + 1)) n++;
  }
  return n;
}

/**
 * Streams `file` through csv-parse and hands every record to `sink`. A path ending in `.gz` (or a
 * source marked `gzip`) is decompressed on the fly. Fields are trimmed, blank lines and a UTF-8 BOM are skipped, rows of any
 * width are passed on (the caller checks the column count, so it can report the line).
 * @param file - Path of the CSV file.
 * @param delimiter - Field delimiter, e.g. `,` or `\t`.
 * @param sink - Receives records and parse errors in file order.
 * @throws InputInvalidError when the file cannot be read or decompressed.
 */
export async function streamCsv(
  file: string | CsvSource,
  delimiter: string,
  sink: CsvSink,
): Promise<CsvStreamResult> {
  const hash = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  // Lines are counted here rather than with csv-parse's `info` option, which snapshots an object per
  // record and makes reading about three times slower. Blank lines arrive as a single empty field.
  let next = 1;
  const parser = parse({
    delimiter,
    bom: true,
    trim: true,
    relax_column_count: true,
    skip_empty_lines: false,
    skip_records_with_error: true,
    on_skip: (error: CsvError | undefined): undefined => {
      const line = typeof error?.lines === 'number' ? error.lines : next;
      sink.parseError(line, error?.message ?? 'unreadable CSV');
      next = line + 1;
    },
  });
  // The sink may refuse the file (e.g. a missing header column); keep its error, because pipeline()
  // then rejects with the AbortError of the destroyed source instead.
  let refusal: unknown;
  const consume = async (source: AsyncIterable<string[]>): Promise<void> => {
    for await (const record of source) {
      const line = next;
      next += 1 + newlinesIn(record);
      if (record.length === 1 && record[0] === '') continue;
      try {
        sink.record(record, line);
      } catch (error) {
        refusal = error;
        throw error;
      }
    }
  };
  const name = typeof file === 'string' ? file : file.name;
  try {
    const input = typeof file === 'string' ? createReadStream(file) : Readable.from(file.chunks());
    const gzip = typeof file === 'string' ? file.endsWith('.gz') : file.gzip;
    if (gzip) await pipeline(input, tap, createGunzip(), parser, consume);
    else await pipeline(input, tap, parser, consume);
  } catch (error) {
    if (refusal !== undefined) throw refusal;
    if (error instanceof InputInvalidError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new InputInvalidError(`Cannot read ${name}: ${reason}`, { cause: error });
  }
  return { sha256: hash.digest('hex'), bytes };
}

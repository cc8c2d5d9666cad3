/**
 * Events from one CSV (or CSV.gz) part: streamed record by record, columns found by the part's own header
 * (every part of a Spark or Athena output repeats it), Hive partition values appended to each row, each
 * refused row counted with its line.
 * @module
 */
import type { Rejection } from './bad-rows.js';
import { streamCsv } from './csv-stream.js';
import { type EventLayout, type ResolvedColumns, resolveColumns } from './event-layout.js';
import {
  checkWeightsHaveType,
  type EventSink,
  type PartRead,
  parseDecimal,
  type RowRules,
} from './event-sink.js';
import type { InputPart } from './input-parts.js';
import { parseTimestamp, type TimestampFormat } from './timestamps.js';

function checkWidth(f: readonly string[], c: ResolvedColumns): Rejection | undefined {
  if (c.columnCount !== undefined ? f.length === c.columnCount : f.length >= c.minWidth) return undefined;
  const expected = c.columnCount ?? `at least ${c.minWidth}`;
  return ['column-count', `expected ${expected} columns, found ${f.length}`];
}

/** Field `at` of a row, or a Hive partition value past the row's own fields. */
function cell(f: readonly string[], c: ResolvedColumns, at: number): string {
  return (at < f.length ? f[at] : c.partitionValues[at - f.length]) as string;
}

/** The row's value: its type's weight, else its value column, else 1. */
function rowValue(
  f: readonly string[],
  c: ResolvedColumns,
  typeName: string | undefined,
  weights: RowRules['weights'],
): number | Rejection {
  if (weights !== undefined && typeName !== undefined) {
    const weight = weights.get(typeName);
    return weight ?? ['unknown-type', `interaction type "${typeName}" has no weight`];
  }
  if (c.value === undefined) return 1;
  const text = cell(f, c, c.value);
  const parsed = parseDecimal(text);
  if (parsed === undefined || parsed < 0)
    return ['bad-value', `value "${text}" is not a non-negative number`];
  return parsed;
}

/** The row's time in ms since 1970-01-01 UTC, NaN without a timestamp column. */
function rowTimestamp(f: readonly string[], c: ResolvedColumns, format: TimestampFormat): number | Rejection {
  if (c.timestamp === undefined) return Number.NaN;
  const text = cell(f, c, c.timestamp);
  const parsed = parseTimestamp(text, format);
  return parsed ?? ['bad-timestamp', `timestamp "${text}" is not ${format}`];
}

/** Adds one data row to `sink`, or says why it is bad (and adds nothing). */
export function acceptRow(
  f: readonly string[],
  c: ResolvedColumns,
  rules: RowRules,
  sink: EventSink,
): Rejection | undefined {
  const width = checkWidth(f, c);
  if (width !== undefined) return width;
  const userId = cell(f, c, c.user);
  const videoId = cell(f, c, c.video);
  if (userId === '') return ['missing-user', 'missing user id'];
  if (videoId === '') return ['missing-video', 'missing video id'];
  const typeName = c.type === undefined ? undefined : cell(f, c, c.type);
  if (typeName === '') return ['missing-type', 'missing interaction type'];
  const value = rowValue(f, c, typeName, rules.weights);
  if (typeof value !== 'number') return value;
  const timestamp = rowTimestamp(f, c, rules.format);
  if (typeof timestamp !== 'number') return timestamp;
  const type = typeName === undefined ? -1 : sink.types.index(typeName);
  sink.events.push(sink.users.index(userId), sink.videos.index(videoId), value, type, timestamp);
  return undefined;
}

/**
 * Streams one CSV part into `sink`.
 * @throws InputInvalidError when the part is unreadable or its header lacks a required column
 */
export async function readCsvPart(
  part: InputPart,
  layout: EventLayout,
  rules: RowRules,
  sink: EventSink,
): Promise<PartRead> {
  const place = rules.nameParts ? { file: part.name } : undefined;
  let columns: ResolvedColumns | undefined = layout.header
    ? undefined
    : resolveColumns(part.name, layout, null, part.partitions);
  if (columns) checkWeightsHaveType(part.name, rules, columns.type);
  let rows = 0;
  const bytes = await part.open();
  try {
    const source = { name: part.name, gzip: part.format === 'csv.gz', chunks: () => bytes.chunks() };
    const digest = await streamCsv(source, layout.delimiter, {
      record(fields, line): void {
        if (columns === undefined) {
          columns = resolveColumns(part.name, layout, fields, part.partitions);
          checkWeightsHaveType(part.name, rules, columns.type);
          return;
        }
        rows++;
        const rejected = acceptRow(fields, columns, rules, sink);
        if (rejected !== undefined) {
          sink.bad.add(line, rejected[0], rejected[1], fields.join(layout.delimiter), place);
        }
      },
      parseError(line, message): void {
        rows++;
        sink.bad.add(line, 'parse-error', message, '', place);
      },
    });
    return { rows, sha256: digest.sha256, bytes: digest.bytes };
  } finally {
    await bytes.close();
  }
}

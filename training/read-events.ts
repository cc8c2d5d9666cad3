/**
 * Reading interaction events, streamed, into compact columns: from a CSV file (as before), or from every
 * part of a directory or an `s3://` prefix (CSV, CSV.gz, Parquet; Hive partition folders give extra
 * columns). Ids are interned once ({@link IdDictionary}), events go to typed-array blocks
 * ({@link EventColumns}). Every refused row is counted with its place (file and line, or file, row group
 * and row); an input that is mostly bad, empty, or has a single user or video stops the run with
 * {@link InputInvalidError}.
 * @module
 */

import { ConfigInvalidError, InputInvalidError } from '../src/core/errors.js';
import {
  type BadRowReport,
  checkBadRows,
  createBadRowTracker,
  DEFAULT_MAX_BAD_FRACTION,
  DEFAULT_MAX_EXAMPLES,
} from './bad-rows.js';
import { readCsvPart } from './csv-events.js';
import { EventColumns } from './event-columns.js';
import { type EventLayout, type EventLayoutName, resolveLayout } from './event-layout.js';
import type { EventSink, PartRead, RowRules } from './event-sink.js';
import { IdDictionary } from './id-dictionary.js';
import { digestOfParts, type InputOptions, listInputParts } from './input-parts.js';
import { readParquetPart } from './parquet-events.js';

export type { ColumnRef, EventLayout, EventLayoutName } from './event-layout.js';
export { EVENT_LAYOUTS } from './event-layout.js';
export { parseDecimal } from './event-sink.js';

/** How to read an events file. */
export interface ReadEventsOptions {
  /** A named layout or explicit column options. Default `interactions` (the original's header format). */
  layout?: EventLayoutName | EventLayout;
  /**
   * Value per interaction type, e.g. `{ watch: 1, like: 2, complete: 3 }`. When given it replaces the
   * value column, and a row whose type is not in the map is a bad row. Default: the value column.
   */
  weights?: Readonly<Record<string, number>>;
  /** Stop when more than this fraction of the rows is bad (0..1). Default 0.01. */
  maxBadFraction?: number;
  /** Bad rows kept with line numbers in the report. Default 10. */
  maxExamples?: number;
  /** S3 client for an `s3://` input (default: the store's standard client). */
  s3Client?: InputOptions['s3Client'];
  forcePathStyle?: boolean | undefined;
}

/**
 * The valid events of a file as parallel columns (event i is `user[i]`, `video[i]`, ...), with ids in
 * first-seen order. Columns have exactly `count` entries.
 */
export interface EventsRead {
  /** the input as given: a file, a directory or an s3:// prefix */
  file: string;
  /** part files read (1 for a plain file) */
  parts: number;
  count: number;
  /** Distinct user ids, in the order they first appear; `user[i]` indexes this. */
  userIds: string[];
  videoIds: string[];
  /** Distinct interaction types in first-seen order; empty when the layout has no type column. */
  types: string[];
  user: Int32Array;
  video: Int32Array;
  /** The event's value: the weight of its type, else its value column, else 1. */
  value: Float64Array;
  /** Index into `types`, or -1 without a type column. */
  type: Int32Array;
  /** Milliseconds since 1970-01-01 UTC, NaN without a timestamp column. */
  timestamp: Float64Array;
  bad: BadRowReport;
  /**
   * sha256 (hex) of the file's bytes; for several parts, of the lines `<relative path>\t<part sha256>`
   * in path order (a Parquet part's sha256 covers the ranges read).
   */
  sha256: string;
  /** bytes of all parts as stored */
  bytes: number;
  /** bytes the id tables and event columns held while reading (what memory per interaction counts) */
  heldBytes: number;
}

function checkOptions(options: ReadEventsOptions, layout: EventLayout): void {
  const fraction = options.maxBadFraction ?? DEFAULT_MAX_BAD_FRACTION;
  if (!(fraction >= 0 && fraction <= 1)) {
    throw new ConfigInvalidError(`maxBadFraction must be within 0..1, got ${fraction}`);
  }
  if (options.weights === undefined) return;
  if (layout.type === undefined) {
    throw new ConfigInvalidError('Weights per interaction type need a type column in the events layout');
  }
  for (const [type, weight] of Object.entries(options.weights)) {
    if (!(Number.isFinite(weight) && weight >= 0)) {
      throw new ConfigInvalidError(`Weight of "${type}" must be a non-negative number, got ${weight}`);
    }
  }
}

/** The sink's events as exactly-sized columns. */
function collected(
  file: string,
  sink: EventSink,
  bad: BadRowReport,
  parts: readonly { relative: string; read: PartRead }[],
): EventsRead {
  const { events } = sink;
  const n = events.count;
  const heldBytes =
    events.bytes() + sink.users.tableBytes() + sink.videos.tableBytes() + sink.types.tableBytes();
  const columns = events.finish();
  return {
    file,
    parts: parts.length,
    count: n,
    userIds: sink.users.ids,
    videoIds: sink.videos.ids,
    types: sink.types.ids,
    ...columns,
    bad,
    sha256: digestOfParts(parts),
    bytes: parts.reduce((sum, p) => sum + p.read.bytes, 0),
    heldBytes,
  };
}

/**
 * Streams an events input and keeps its valid events.
 * @param file - A CSV file (a `.gz` name is decompressed on the fly), a directory of part files, or an
 *   `s3://bucket/prefix/` of part files (CSV, CSV.gz, Parquet; see input-parts.ts).
 * @param options - Layout, weights, bad-row tolerance and the S3 client.
 * @returns The events as columns, the bad-row report and the input's sha256.
 * @throws InputInvalidError when the input is unreadable, lacks header columns, has more bad rows than
 *   allowed (naming the count and example places), has no valid events, or only one user or video.
 * @throws ConfigInvalidError for inconsistent options.
 * @example
 * const read = await readEvents('data/sample/interactions.csv', { weights: { watch: 1, like: 2, complete: 3 } });
 * console.log(formatBadRows(read.file, read.bad));
 */
export async function readEvents(file: string, options: ReadEventsOptions = {}): Promise<EventsRead> {
  const layout = resolveLayout(options.layout ?? 'interactions');
  checkOptions(options, layout);
  const parts = await listInputParts(file, options);
  const rules: RowRules = {
    weights: options.weights === undefined ? undefined : new Map(Object.entries(options.weights)),
    format: layout.timestampFormat ?? 'datetime',
    // Name the part whenever the input is more than the one file named on the command line.
    nameParts: parts.length > 1 || parts[0]?.name !== file,
  };
  const sink: EventSink = {
    users: new IdDictionary(),
    videos: new IdDictionary(),
    types: new IdDictionary(),
    events: new EventColumns(),
    bad: createBadRowTracker(options.maxExamples ?? DEFAULT_MAX_EXAMPLES),
  };
  const reads: { relative: string; read: PartRead }[] = [];
  for (const part of parts) {
    const read =
      part.format === 'parquet'
        ? await readParquetPart(part, layout, rules, sink)
        : await readCsvPart(part, layout, rules, sink);
    reads.push({ relative: part.relative, read });
  }
  const report = sink.bad.report(reads.reduce((sum, r) => sum + r.read.rows, 0));
  checkBadRows(file, report, options.maxBadFraction ?? DEFAULT_MAX_BAD_FRACTION);
  checkEnough(file, sink.events.count, sink.users.ids, sink.videos.ids);
  return collected(file, sink, report, reads);
}

function checkEnough(file: string, count: number, userIds: string[], videoIds: string[]): void {
  if (count === 0)
    throw new InputInvalidError(`${file} has no events: ALS needs at least two users and two videos`);
  if (userIds.length < 2) {
    throw new InputInvalidError(
      `${file}: all ${count} events are from one user (${userIds[0]}); ALS needs at least two users`,
    );
  }
  if (videoIds.length < 2) {
    throw new InputInvalidError(
      `${file}: all ${count} events are on one video (${videoIds[0]}); ALS needs at least two videos`,
    );
  }
}

/**
 * Reading interaction events from a CSV file, streamed, into compact columns. Every refused row is
 * counted with its line number; a file that is mostly bad, empty, or has a single user or video stops
 * the run with {@link InputInvalidError}.
 * @module
 */

import { ConfigInvalidError, InputInvalidError } from '../src/core/errors.js';
import {
  type BadRowReport,
  checkBadRows,
  createBadRowTracker,
  DEFAULT_MAX_BAD_FRACTION,
  DEFAULT_MAX_EXAMPLES,
  type Rejection,
} from './bad-rows.js';
import { streamCsv } from './csv-stream.js';
import { EventColumns } from './event-columns.js';
import {
  type EventLayout,
  type EventLayoutName,
  type ResolvedColumns,
  resolveColumns,
  resolveLayout,
} from './event-layout.js';
import { parseTimestamp, type TimestampFormat } from './timestamps.js';

export type { ColumnRef, EventLayout, EventLayoutName } from './event-layout.js';
export { EVENT_LAYOUTS } from './event-layout.js';

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
  /** One part of a larger input: skip the two-users-two-videos rule (the caller checks the whole). */
  part?: boolean;
}

/**
 * The valid events of a file as parallel columns (event i is `user[i]`, `video[i]`, ...), with ids in
 * first-seen order. Columns have exactly `count` entries.
 */
export interface EventsRead {
  file: string;
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
  /** sha256 (hex) of the file's bytes. */
  sha256: string;
  bytes: number;
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Parses a plain decimal number; undefined for empty, hex, `NaN`, `Infinity` and other non-numbers. */
export function parseDecimal(text: string): number | undefined {
  if (!DECIMAL.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
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

/** Ids in first-seen order and the index of each. */
interface Interner {
  ids: string[];
  index(id: string): number;
}

function interning(): Interner {
  const ids: string[] = [];
  const map = new Map<string, number>();
  return {
    ids,
    index(id: string): number {
      let at = map.get(id);
      if (at === undefined) {
        at = ids.length;
        map.set(id, at);
        ids.push(id);
      }
      return at;
    },
  };
}

/** How a row's value and time are read. */
interface RowRules {
  /** value per interaction type, replacing the value column */
  weights: ReadonlyMap<string, number> | undefined;
  format: TimestampFormat;
}

/** Where accepted rows go: interned ids and the growing event columns. */
interface EventSink {
  users: Interner;
  videos: Interner;
  types: Interner;
  events: EventColumns;
}

function checkWidth(f: readonly string[], c: ResolvedColumns): Rejection | undefined {
  if (c.columnCount !== undefined ? f.length === c.columnCount : f.length >= c.minWidth) return undefined;
  const expected = c.columnCount ?? `at least ${c.minWidth}`;
  return ['column-count', `expected ${expected} columns, found ${f.length}`];
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
  const parsed = parseDecimal(f[c.value] as string);
  if (parsed === undefined || parsed < 0)
    return ['bad-value', `value "${f[c.value]}" is not a non-negative number`];
  return parsed;
}

/** The row's time in ms since 1970-01-01 UTC, NaN without a timestamp column. */
function rowTimestamp(f: readonly string[], c: ResolvedColumns, format: TimestampFormat): number | Rejection {
  if (c.timestamp === undefined) return Number.NaN;
  const parsed = parseTimestamp(f[c.timestamp] as string, format);
  return parsed ?? ['bad-timestamp', `timestamp "${f[c.timestamp]}" is not ${format}`];
}

/** Adds one data row to `sink`, or says why it is bad (and adds nothing). */
function acceptRow(
  f: readonly string[],
  c: ResolvedColumns,
  rules: RowRules,
  sink: EventSink,
): Rejection | undefined {
  const width = checkWidth(f, c);
  if (width !== undefined) return width;
  const userId = f[c.user] as string;
  const videoId = f[c.video] as string;
  if (userId === '') return ['missing-user', 'missing user id'];
  if (videoId === '') return ['missing-video', 'missing video id'];
  const typeName = c.type === undefined ? undefined : (f[c.type] as string);
  if (typeName === '') return ['missing-type', 'missing interaction type'];
  const value = rowValue(f, c, typeName, rules.weights);
  if (typeof value !== 'number') return value;
  const timestamp = rowTimestamp(f, c, rules.format);
  if (typeof timestamp !== 'number') return timestamp;
  const type = typeName === undefined ? -1 : sink.types.index(typeName);
  sink.events.push(sink.users.index(userId), sink.videos.index(videoId), value, type, timestamp);
  return undefined;
}

/** The sink's events as exactly-sized columns. */
function collected(
  file: string,
  sink: EventSink,
  bad: BadRowReport,
  digest: { sha256: string; bytes: number },
): EventsRead {
  const { events } = sink;
  const n = events.count;
  return {
    file,
    count: n,
    userIds: sink.users.ids,
    videoIds: sink.videos.ids,
    types: sink.types.ids,
    user: events.user.slice(0, n),
    video: events.video.slice(0, n),
    value: events.value.slice(0, n),
    type: events.type.slice(0, n),
    timestamp: events.timestamp.slice(0, n),
    bad,
    sha256: digest.sha256,
    bytes: digest.bytes,
  };
}

/**
 * Streams an events file and keeps its valid events.
 * @param file - Path of the CSV (a `.gz` name is decompressed on the fly).
 * @param options - Layout, weights and bad-row tolerance.
 * @returns The events as columns, the bad-row report and the file's sha256.
 * @throws InputInvalidError when the file is unreadable, lacks header columns, has more bad rows than
 *   allowed (naming the count and example lines), has no valid events, or only one user or video.
 * @throws ConfigInvalidError for inconsistent options.
 * @example
 * const read = await readEvents('data/sample/interactions.csv', { weights: { watch: 1, like: 2, complete: 3 } });
 * console.log(formatBadRows(read.file, read.bad));
 */
export async function readEvents(file: string, options: ReadEventsOptions = {}): Promise<EventsRead> {
  const layout = resolveLayout(options.layout ?? 'interactions');
  checkOptions(options, layout);
  const rules: RowRules = {
    weights: options.weights === undefined ? undefined : new Map(Object.entries(options.weights)),
    format: layout.timestampFormat ?? 'datetime',
  };
  const sink: EventSink = {
    users: interning(),
    videos: interning(),
    types: interning(),
    events: new EventColumns(),
  };
  const bad = createBadRowTracker(options.maxExamples ?? DEFAULT_MAX_EXAMPLES);
  let columns: ResolvedColumns | undefined = layout.header ? undefined : resolveColumns(file, layout, null);
  let rows = 0;
  const digest = await streamCsv(file, layout.delimiter, {
    record(fields, line): void {
      if (columns === undefined) {
        columns = resolveColumns(file, layout, fields);
        return;
      }
      rows++;
      const rejected = acceptRow(fields, columns, rules, sink);
      if (rejected !== undefined) bad.add(line, rejected[0], rejected[1], fields.join(layout.delimiter));
    },
    parseError(line, message): void {
      rows++;
      bad.add(line, 'parse-error', message, '');
    },
  });
  const report = bad.report(rows);
  checkBadRows(file, report, options.maxBadFraction ?? DEFAULT_MAX_BAD_FRACTION);
  if (!options.part) checkEnoughEvents(file, sink.events.count, sink.users.ids, sink.videos.ids);
  return collected(file, sink, report, digest);
}

/** Stops a run on input with no events, or with a single user or a single video. */
export function checkEnoughEvents(file: string, count: number, userIds: string[], videoIds: string[]): void {
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

/**
 * Where the fields of an interaction event sit in a CSV row. Layouts are always stated, never guessed:
 * the original's header format, MovieLens `u.data`, or explicit column options.
 * @module
 */

import { ConfigInvalidError, InputInvalidError } from '../src/core/errors.js';
import { TIMESTAMP_FORMATS, type TimestampFormat } from './timestamps.js';

/** A column by header name (needs `header: true`) or by 0-based index. */
export type ColumnRef = string | number;

/** Explicit column options for an events file. Only `user` and `video` are required columns. */
export interface EventLayout {
  delimiter: string;
  /** Whether the first line names the columns. */
  header: boolean;
  /** Fields every row must have. Default: the header's width; without a header, any width that holds the columns. */
  columnCount?: number;
  user: ColumnRef;
  video: ColumnRef;
  /** The event's value; without it (and without weights) every event counts 1. */
  value?: ColumnRef;
  /** The interaction type, needed for per-type weights. */
  type?: ColumnRef;
  timestamp?: ColumnRef;
  timestampFormat?: TimestampFormat;
  /**
   * Roles whose named column is used only when the header (or a partition folder) has it; others must be
   * there. The named `interactions` layout makes type and timestamp optional, so a plain
   * `userId,videoId,interactionValue` file reads as it is.
   */
  optional?: readonly OptionalRole[];
}

/** Roles a layout may mark optional. */
export type OptionalRole = 'value' | 'type' | 'timestamp';

/** The named layouts. */
export const EVENT_LAYOUTS = {
  /** The original's `userId,videoId,interactionType,interactionValue,location,timestamp` with a header. */
  interactions: {
    delimiter: ',',
    header: true,
    user: 'userId',
    video: 'videoId',
    type: 'interactionType',
    value: 'interactionValue',
    timestamp: 'timestamp',
    timestampFormat: 'datetime',
    optional: ['type', 'timestamp'],
  },
  /** MovieLens `u.data`: tab-separated `user item rating timestamp`, no header; value = rating. */
  movielens: {
    delimiter: '\t',
    header: false,
    columnCount: 4,
    user: 0,
    video: 1,
    value: 2,
    timestamp: 3,
    timestampFormat: 'epoch-seconds',
  },
} as const satisfies Record<string, EventLayout>;

export type EventLayoutName = keyof typeof EVENT_LAYOUTS;

/** Column positions of one file, resolved against its header when it has one. */
export interface ResolvedColumns {
  /** Fields every row must have, or undefined when any width that holds `minWidth` is accepted. */
  columnCount: number | undefined;
  minWidth: number;
  user: number;
  video: number;
  value: number | undefined;
  type: number | undefined;
  timestamp: number | undefined;
  /**
   * Values of Hive partition columns a role names, appended to every row: index `width + j` of a role is
   * `partitionValues[j]`, where `width` is the row's own field count.
   */
  partitionValues: readonly string[];
}

const ROLES = ['user', 'video', 'value', 'type', 'timestamp'] as const;

/**
 * Picks a named layout or checks an explicit one.
 * @throws ConfigInvalidError for an unknown name or inconsistent options.
 */
export function resolveLayout(layout: EventLayoutName | EventLayout): EventLayout {
  if (typeof layout === 'string') {
    const named = (EVENT_LAYOUTS as Record<string, EventLayout>)[layout];
    if (named === undefined) {
      throw new ConfigInvalidError(
        `Unknown events layout "${layout}"; expected one of ${Object.keys(EVENT_LAYOUTS).join(', ')}`,
      );
    }
    return named;
  }
  if (layout.delimiter.length !== 1) {
    throw new ConfigInvalidError(
      `Events delimiter must be one character, got ${JSON.stringify(layout.delimiter)}`,
    );
  }
  if (layout.timestampFormat !== undefined && !TIMESTAMP_FORMATS.includes(layout.timestampFormat)) {
    throw new ConfigInvalidError(
      `Unknown timestamp format "${layout.timestampFormat}"; expected ${TIMESTAMP_FORMATS.join(', ')}`,
    );
  }
  for (const role of ROLES) {
    const ref = layout[role];
    if (typeof ref === 'number' && !(Number.isInteger(ref) && ref >= 0)) {
      throw new ConfigInvalidError(`Column index for ${role} must be a non-negative integer, got ${ref}`);
    }
    if (typeof ref === 'string' && !layout.header) {
      throw new ConfigInvalidError(`Column "${ref}" for ${role} is a name, but the layout has no header`);
    }
  }
  return layout;
}

/** A partition column of a part: its name and value. */
export type Partition = readonly [string, string];

/**
 * Finds the layout's columns in a file: by header name (then among the part's Hive partition
 * columns), or by index.
 * @param file - Named in errors.
 * @param layout - A resolved layout.
 * @param header - The header row (Parquet: the column names), when the layout has one.
 * @param partitions - The part's Hive partition columns.
 * @throws InputInvalidError when the header lacks a named column that is not optional; ConfigInvalidError
 *   when an index lies beyond `columnCount`.
 */
export function resolveColumns(
  file: string,
  layout: EventLayout,
  header: readonly string[] | null,
  partitions: readonly Partition[] = [],
): ResolvedColumns {
  const missing: string[] = [];
  const partitionValues: string[] = [];
  const fromPartition = new Set<number>();
  const width = header?.length ?? 0;
  const find = (ref: ColumnRef | undefined, role: (typeof ROLES)[number]): number | undefined => {
    if (ref === undefined || typeof ref === 'number') return ref;
    const at = header?.indexOf(ref) ?? -1;
    if (at >= 0) return at;
    const partition = partitions.find(([name]) => name === ref);
    if (partition !== undefined) {
      partitionValues.push(partition[1]);
      fromPartition.add(width + partitionValues.length - 1);
      return width + partitionValues.length - 1;
    }
    if (!(layout.optional as readonly string[] | undefined)?.includes(role)) missing.push(ref);
    return undefined;
  };
  const columns = {
    user: find(layout.user, 'user') ?? 0,
    video: find(layout.video, 'video') ?? 0,
    value: find(layout.value, 'value'),
    type: find(layout.type, 'type'),
    timestamp: find(layout.timestamp, 'timestamp'),
  };
  if (missing.length > 0) {
    throw new InputInvalidError(
      `${file}: header lacks column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (line 1 has: ${header?.join(', ')})`,
    );
  }
  const own = ROLES.map((role) => columns[role] ?? -1).filter((at) => !fromPartition.has(at));
  const minWidth = Math.max(...own) + 1;
  const columnCount = layout.columnCount ?? header?.length;
  if (columnCount !== undefined && columnCount < minWidth) {
    throw new ConfigInvalidError(
      `Events layout names column ${minWidth - 1} but rows have ${columnCount} columns`,
    );
  }
  return { columnCount, minWidth, ...columns, partitionValues };
}

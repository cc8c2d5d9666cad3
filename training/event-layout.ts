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
}

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

/**
 * Finds the layout's columns in a file: by header name, or by index.
 * @param file - Named in errors.
 * @param layout - A resolved layout.
 * @param header - The header row, when the layout has one.
 * @throws InputInvalidError when the header lacks a named column; ConfigInvalidError when an index
 *   lies beyond `columnCount`.
 */
export function resolveColumns(
  file: string,
  layout: EventLayout,
  header: readonly string[] | null,
): ResolvedColumns {
  const missing: string[] = [];
  const find = (ref: ColumnRef | undefined): number | undefined => {
    if (ref === undefined || typeof ref === 'number') return ref;
    const at = header?.indexOf(ref) ?? -1;
    if (at < 0) missing.push(ref);
    return at;
  };
  const columns = {
    user: find(layout.user) ?? 0,
    video: find(layout.video) ?? 0,
    value: find(layout.value),
    type: find(layout.type),
    timestamp: find(layout.timestamp),
  };
  if (missing.length > 0) {
    throw new InputInvalidError(
      `${file}: header lacks column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (line 1 has: ${header?.join(', ')})`,
    );
  }
  const minWidth = Math.max(...ROLES.map((role) => columns[role] ?? -1)) + 1;
  const columnCount = layout.columnCount ?? header?.length;
  if (columnCount !== undefined && columnCount < minWidth) {
    throw new ConfigInvalidError(
      `Events layout names column ${minWidth - 1} but rows have ${columnCount} columns`,
    );
  }
  return { columnCount, minWidth, ...columns };
}

/**
 * Events from one Parquet part, read row group by row group with hyparquet (only the columns the layout
 * names; ranged reads, so an S3 part is never downloaded whole), with the same column options and bad-row
 * rules as CSV. Bad rows are reported with the part, the row group and the row of the file.
 *
 * Column types: ids may be strings or integers (an integer id is its decimal text, the id a CSV of the
 * same data gives); values numbers or decimal text; timestamps Parquet TIMESTAMP/DATE/INT96 (the type
 * says the unit), epoch numbers (per `--timestamp-format epoch-seconds|epoch-millis`) or text.
 * @module
 */
import { ConfigInvalidError } from '../src/core/errors.js';
import type { BadRowReason, RowPlace } from './bad-rows.js';
import { type EventLayout, type ResolvedColumns, resolveColumns } from './event-layout.js';
import {
  checkWeightsHaveType,
  type EventSink,
  type PartRead,
  parseDecimal,
  type RowRules,
} from './event-sink.js';
import type { IdDictionary } from './id-dictionary.js';
import type { InputPart } from './input-parts.js';
import {
  type CellKind,
  type Cells,
  openParquet,
  type ParquetPart,
  type RowGroupCells,
} from './parquet-file.js';
import { parseTimestamp } from './timestamps.js';

/** True for a null or empty id cell. */
function missingId(v: unknown): boolean {
  return v === null || v === undefined || v === '';
}

/** An id cell's index: integers by value (as their decimal text), text by text. */
function internId(v: unknown, dictionary: IdDictionary): number {
  if (typeof v === 'string') return dictionary.index(v);
  if (typeof v === 'number') {
    return Number.isSafeInteger(v) ? dictionary.indexOfInteger(v) : dictionary.index(String(v));
  }
  const n = Number(v);
  return Number.isSafeInteger(n) ? dictionary.indexOfInteger(n) : dictionary.index(String(v));
}

function numberOf(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string') return parseDecimal(v) ?? Number.NaN;
  return Number.NaN;
}

/** Milliseconds since 1970 per cell, NaN where unreadable; `format` reads epoch numbers and text. */
function timesOf(cells: Cells, kind: CellKind, rules: RowRules): Float64Array {
  const out = new Float64Array(cells.length);
  const scale = rules.format === 'epoch-seconds' ? 1000 : 1;
  for (let i = 0; i < cells.length; i++) {
    const v = cells[i];
    if (kind === 'time' && typeof v === 'number') out[i] = v;
    else if (typeof v === 'string') out[i] = parseTimestamp(v, rules.format) ?? Number.NaN;
    else if (v === null || v === undefined) out[i] = Number.NaN;
    else out[i] = numberOf(v) * scale;
  }
  return out;
}

/** The columns of a part: positions of the roles and what their cells hold. */
interface PartColumns {
  resolved: ResolvedColumns;
  /** top-level column names; a role's index below `names.length` is a column, above it a partition */
  names: string[];
  kinds: CellKind[];
}

const ROLES = ['user', 'video', 'value', 'type', 'timestamp'] as const;
type Role = (typeof ROLES)[number];

function partColumns(part: InputPart, pq: ParquetPart, layout: EventLayout, rules: RowRules): PartColumns {
  const { names, kinds } = pq;
  const headed = { ...layout, header: true, columnCount: undefined };
  const resolved = resolveColumns(part.name, headed, names, part.partitions);
  checkWeightsHaveType(part.name, rules, resolved.type);
  for (const role of ROLES) {
    const at = resolved[role];
    if (at === undefined || at >= names.length) continue;
    const kind = kinds[at];
    if (kind === undefined || kind === 'other' || kind === 'list') {
      throw new ConfigInvalidError(
        `${part.name}: column ${names[at] ?? at} for ${role} is not a plain value column`,
      );
    }
    if (role === 'timestamp' && kind === 'number' && rules.format === 'datetime') {
      throw new ConfigInvalidError(
        `${part.name}: timestamp column ${names[at]} holds numbers; say --timestamp-format epoch-seconds or epoch-millis`,
      );
    }
  }
  return { resolved, names, kinds };
}

/** The cells of a role in a row group (a partition column repeats its one value). */
function roleCells(group: RowGroupCells, columns: PartColumns, role: Role): Cells | undefined {
  const { resolved, names } = columns;
  const at = resolved[role];
  if (at === undefined) return undefined;
  if (at >= names.length) {
    return new Array<string>(group.rows).fill(resolved.partitionValues[at - names.length] as string);
  }
  return group.cells.get(names[at] as string);
}

function display(v: unknown): string {
  return v === null || v === undefined ? '' : String(v);
}

/** Adds the rows of one row group to `sink`, reporting each refused one. */
function acceptGroup(
  group: RowGroupCells,
  columns: PartColumns,
  rules: RowRules,
  sink: EventSink,
  place: RowPlace,
): void {
  const raw = {
    user: roleCells(group, columns, 'user') as Cells,
    video: roleCells(group, columns, 'video') as Cells,
    value: roleCells(group, columns, 'value'),
    type: roleCells(group, columns, 'type'),
    timestamp: roleCells(group, columns, 'timestamp'),
  };
  const timestampAt = columns.resolved.timestamp;
  const times =
    raw.timestamp === undefined || timestampAt === undefined
      ? undefined
      : timesOf(raw.timestamp, columns.kinds[timestampAt] ?? 'text', rules);
  const refuse = (i: number, reason: BadRowReason, message: string): void => {
    const text = ['user', 'video', 'value', 'type', 'timestamp']
      .filter((role) => raw[role as keyof typeof raw] !== undefined)
      .map((role) => `${role}=${display(raw[role as keyof typeof raw]?.[i])}`)
      .join(', ');
    sink.bad.add(group.start + i + 1, reason, message, text, place);
  };
  for (let i = 0; i < group.rows; i++) {
    if (missingId(raw.user[i])) {
      refuse(i, 'missing-user', 'missing user id');
      continue;
    }
    if (missingId(raw.video[i])) {
      refuse(i, 'missing-video', 'missing video id');
      continue;
    }
    const typeName = raw.type === undefined ? undefined : display(raw.type[i]);
    if (typeName === '') {
      refuse(i, 'missing-type', 'missing interaction type');
      continue;
    }
    let value = 1;
    if (rules.weights !== undefined && typeName !== undefined) {
      const weight = rules.weights.get(typeName);
      if (weight === undefined) {
        refuse(i, 'unknown-type', `interaction type "${typeName}" has no weight`);
        continue;
      }
      value = weight;
    } else if (raw.value !== undefined) {
      value = numberOf(raw.value[i]);
      if (!(value >= 0 && Number.isFinite(value))) {
        refuse(i, 'bad-value', `value "${display(raw.value[i])}" is not a non-negative number`);
        continue;
      }
    }
    const time = times === undefined ? Number.NaN : (times[i] as number);
    if (times !== undefined && Number.isNaN(time)) {
      refuse(i, 'bad-timestamp', `timestamp "${display(raw.timestamp?.[i])}" is not ${rules.format}`);
      continue;
    }
    const type = typeName === undefined ? -1 : sink.types.index(typeName);
    const user = internId(raw.user[i], sink.users);
    sink.events.push(user, internId(raw.video[i], sink.videos), value, type, time);
  }
}

/**
 * Reads one Parquet part into `sink`, row group by row group.
 * @throws InputInvalidError when the part is not Parquet, is damaged, or lacks a required column;
 *   ConfigInvalidError when a column cannot serve its role (nested, or numeric time without a format)
 */
export async function readParquetPart(
  part: InputPart,
  layout: EventLayout,
  rules: RowRules,
  sink: EventSink,
): Promise<PartRead> {
  const pq = await openParquet(part);
  try {
    const columns = partColumns(part, pq, layout, rules);
    const wanted = ROLES.map((role) => columns.resolved[role])
      .filter((at): at is number => at !== undefined && at < columns.names.length)
      .map((at) => columns.names[at] as string);
    let rows = 0;
    for (let index = 0; index < pq.groupRows.length; index++) {
      const group = await pq.readGroup(index, wanted);
      acceptGroup(group, columns, rules, sink, {
        file: rules.nameParts ? part.name : undefined,
        rowGroup: index,
      });
      rows += group.rows;
    }
    return { rows, sha256: pq.digest(), bytes: part.size };
  } finally {
    await pq.close();
  }
}

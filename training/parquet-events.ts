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
  if (typeof v === 'number') {
    return Number.isSafeInteger(v) ? dictionary.indexOfInteger(v) : dictionary.index(String(v));
  }
  if (typeof v === 'string') return dictionary.index(v);
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
  // Parquet time types arrive as milliseconds already (parquet-file.ts).
  if (kind === 'time' && cells instanceof Float64Array) return cells;
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

/** Why a row is refused, by code (0 = accepted), in the order the checks run. */
const REFUSALS: readonly (readonly [BadRowReason, string])[] = [
  ['parse-error', ''],
  ['missing-user', 'missing user id'],
  ['missing-video', 'missing video id'],
  ['missing-type', 'missing interaction type'],
  ['unknown-type', 'has no weight'],
  ['bad-value', 'is not a non-negative number'],
  ['bad-timestamp', 'is not'],
];
const MISSING_USER = 1;
const MISSING_VIDEO = 2;
const MISSING_TYPE = 3;
const UNKNOWN_TYPE = 4;
const BAD_VALUE = 5;
const BAD_TIMESTAMP = 6;

function markMissingIds(cells: Cells, code: number, reasons: Uint8Array): void {
  // Typed columns (Parquet INT32/INT64 ids) hold no missing cell.
  if (cells instanceof Float64Array || cells instanceof Int32Array) return;
  for (let i = 0; i < reasons.length; i++) {
    if (reasons[i] === 0 && missingId(cells[i])) reasons[i] = code;
  }
}

/** Rows after which a per-group cache of text ids that mostly misses is dropped. */
const CACHE_PROBE_ROWS = 4096;

/**
 * Ids of accepted rows as dictionary indices, one tight loop per kind of column. Text ids go through a
 * per-group Map first: a dictionary-encoded column repeats the same string objects, whose hash V8 keeps,
 * so most rows skip hashing the text; a column of mostly distinct ids drops the cache early.
 */
function internColumn(cells: Cells, dictionary: IdDictionary, reasons: Uint8Array, out: Int32Array): void {
  if (cells instanceof Float64Array || cells instanceof Int32Array) {
    for (let i = 0; i < reasons.length; i++) {
      if (reasons[i] !== 0) continue;
      const v = cells[i] as number;
      out[i] = Number.isSafeInteger(v) ? dictionary.indexOfInteger(v) : dictionary.index(String(v));
    }
    return;
  }
  let cache: Map<unknown, number> | undefined = new Map();
  for (let i = 0; i < reasons.length; i++) {
    if (reasons[i] !== 0) continue;
    const v = cells[i];
    let at = cache?.get(v);
    if (at === undefined) {
      at = internId(v, dictionary);
      cache?.set(v, at);
      if (i === CACHE_PROBE_ROWS && (cache?.size ?? 0) > CACHE_PROBE_ROWS / 4) cache = undefined;
    }
    out[i] = at;
  }
}

/** Types of one part: each distinct type text once, its weight, and its index once a row is accepted. */
class TypeCodes {
  private readonly local = new Map<string, number>();
  private readonly texts: string[] = [];
  private readonly weights: number[] = [];
  private readonly global: number[] = [];

  constructor(private readonly rules: RowRules) {}

  /** The local code of a type text (-1 for a missing one). */
  code(v: unknown): number {
    const text = typeof v === 'string' ? v : display(v);
    if (text === '') return -1;
    let at = this.local.get(text);
    if (at === undefined) {
      at = this.texts.length;
      this.local.set(text, at);
      this.texts.push(text);
      this.weights.push(this.rules.weights?.get(text) ?? Number.NaN);
      this.global.push(-1);
    }
    return at;
  }

  weight(code: number): number {
    return this.weights[code] as number;
  }

  /** The type's index in the run's type list, interned on first use. */
  index(code: number, sink: EventSink): number {
    let at = this.global[code] as number;
    if (at < 0) {
      at = sink.types.index(this.texts[code] as string);
      this.global[code] = at;
    }
    return at;
  }
}

/** Per-row arrays of one row group. */
interface Rows {
  reasons: Uint8Array;
  type: Int32Array;
  value: Float64Array;
  users: Int32Array;
  videos: Int32Array;
}

/** Per-row arrays reused from group to group (fresh typed arrays per group keep the GC busy). */
class GroupScratch {
  private rows: Rows | undefined;

  of(n: number): Rows {
    if (this.rows === undefined || this.rows.reasons.length < n) {
      this.rows = {
        reasons: new Uint8Array(n),
        type: new Int32Array(n),
        value: new Float64Array(n),
        users: new Int32Array(n),
        videos: new Int32Array(n),
      };
    }
    const r = this.rows;
    const view = {
      reasons: r.reasons.subarray(0, n),
      type: r.type.subarray(0, n),
      value: r.value.subarray(0, n),
      users: r.users.subarray(0, n),
      videos: r.videos.subarray(0, n),
    };
    view.reasons.fill(0);
    return view;
  }
}

interface GroupRaw {
  user: Cells;
  video: Cells;
  value: Cells | undefined;
  type: Cells | undefined;
  timestamp: Cells | undefined;
}

/** Each row's type code, value and time, marking refused rows in `reasons`. */
function checkRows(
  raw: GroupRaw,
  columns: PartColumns,
  rules: RowRules,
  codes: TypeCodes,
  scratch: Rows,
): { type: Int32Array; value: Float64Array; time: Float64Array | undefined } {
  const { reasons, type, value } = scratch;
  const n = reasons.length;
  type.fill(-1);
  value.fill(1);
  const timestampAt = columns.resolved.timestamp;
  const time =
    raw.timestamp === undefined || timestampAt === undefined
      ? undefined
      : timesOf(raw.timestamp, columns.kinds[timestampAt] ?? 'text', rules);
  for (let i = 0; i < n; i++) {
    if (reasons[i] !== 0) continue;
    if (raw.type !== undefined) {
      const code = codes.code(raw.type[i]);
      type[i] = code;
      if (code < 0) {
        reasons[i] = MISSING_TYPE;
        continue;
      }
      if (rules.weights !== undefined) {
        value[i] = codes.weight(code);
        if (Number.isNaN(value[i])) reasons[i] = UNKNOWN_TYPE;
        continue;
      }
    }
    if (raw.value !== undefined) {
      const v = numberOf(raw.value[i]);
      value[i] = v;
      if (!(v >= 0 && Number.isFinite(v))) reasons[i] = BAD_VALUE;
    }
  }
  if (time !== undefined) {
    for (let i = 0; i < n; i++) if (reasons[i] === 0 && Number.isNaN(time[i])) reasons[i] = BAD_TIMESTAMP;
  }
  return { type, value, time };
}

/** The message of a refused row, naming the cell. */
function refusal(code: number, raw: GroupRaw, i: number, rules: RowRules): string {
  const [, words] = REFUSALS[code] as readonly [BadRowReason, string];
  if (code === UNKNOWN_TYPE) return `interaction type "${display(raw.type?.[i])}" ${words}`;
  if (code === BAD_VALUE) return `value "${display(raw.value?.[i])}" ${words}`;
  if (code === BAD_TIMESTAMP) return `timestamp "${display(raw.timestamp?.[i])}" ${words} ${rules.format}`;
  return words;
}

/** Adds the rows of one row group to `sink`, reporting each refused one. */
function acceptGroup(
  group: RowGroupCells,
  columns: PartColumns,
  rules: RowRules,
  sink: EventSink,
  where: { place: RowPlace; codes: TypeCodes; scratch: GroupScratch },
): void {
  const raw: GroupRaw = {
    user: roleCells(group, columns, 'user') as Cells,
    video: roleCells(group, columns, 'video') as Cells,
    value: roleCells(group, columns, 'value'),
    type: roleCells(group, columns, 'type'),
    timestamp: roleCells(group, columns, 'timestamp'),
  };
  const scratch = where.scratch.of(group.rows);
  const { reasons, users, videos } = scratch;
  markMissingIds(raw.user, MISSING_USER, reasons);
  markMissingIds(raw.video, MISSING_VIDEO, reasons);
  const rows = checkRows(raw, columns, rules, where.codes, scratch);
  internColumn(raw.user, sink.users, reasons, users);
  internColumn(raw.video, sink.videos, reasons, videos);
  for (let i = 0; i < group.rows; i++) {
    const code = reasons[i] as number;
    if (code === 0) {
      const type = rows.type[i] as number;
      const t = rows.time === undefined ? Number.NaN : (rows.time[i] as number);
      const typeIndex = type < 0 ? -1 : where.codes.index(type, sink);
      sink.events.push(users[i] as number, videos[i] as number, rows.value[i] as number, typeIndex, t);
      continue;
    }
    const text = (['user', 'video', 'value', 'type', 'timestamp'] as const)
      .filter((role) => raw[role] !== undefined)
      .map((role) => `${role}=${display(raw[role]?.[i])}`)
      .join(', ');
    const reason = (REFUSALS[code] as readonly [BadRowReason, string])[0];
    sink.bad.add(group.start + i + 1, reason, refusal(code, raw, i, rules), text, where.place);
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
    const codes = new TypeCodes(rules);
    const scratch = new GroupScratch();
    for (let index = 0; index < pq.groupRows.length; index++) {
      const group = await pq.readGroup(index, wanted);
      const place = { file: rules.nameParts ? part.name : undefined, rowGroup: index };
      acceptGroup(group, columns, rules, sink, { place, codes, scratch });
      rows += group.rows;
    }
    return { rows, sha256: pq.digest(), bytes: part.size };
  } finally {
    await pq.close();
  }
}

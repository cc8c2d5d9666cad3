/**
 * Counting and reporting unusable CSV rows: every bad row is counted by reason, the first few are kept
 * with their line numbers, and a file with too many of them stops the run with {@link InputInvalidError}.
 * @module
 */

import { InputInvalidError } from '../src/core/errors.js';

/** Why a row was refused. */
export const BAD_ROW_REASONS = [
  'parse-error',
  'column-count',
  'missing-user',
  'missing-video',
  'bad-value',
  'missing-type',
  'unknown-type',
  'bad-timestamp',
  'bad-number',
  'duplicate-video',
] as const;
export type BadRowReason = (typeof BAD_ROW_REASONS)[number];

/**
 * One refused row. `line` is the 1-based line of the file where the row starts (the header is line 1);
 * in a Parquet part it is the 1-based row of the file, and `rowGroup` says which row group holds it.
 */
export interface BadRow {
  line: number;
  reason: BadRowReason;
  message: string;
  /** The row's fields joined by the delimiter, cut to 200 characters; empty for unparseable rows. */
  text: string;
  /** The part file, when the input has several. */
  file?: string;
  /** 0-based row group of a Parquet part. */
  rowGroup?: number;
}

/** Where in a multi-part input a bad row is: the part, and the row group of a Parquet part. */
export interface RowPlace {
  file?: string | undefined;
  rowGroup?: number | undefined;
}

/** A row refused by a row parser: why, and a message naming the cell. */
export type Rejection = readonly [BadRowReason, string];

/** Bad rows of one file. `rows` counts every data row (good and bad, header excluded). */
export interface BadRowReport {
  rows: number;
  count: number;
  byReason: Partial<Record<BadRowReason, number>>;
  /** The first `maxExamples` bad rows, in file order. */
  examples: BadRow[];
}

/** Stop when more than this fraction of the data rows is bad. */
export const DEFAULT_MAX_BAD_FRACTION = 0.01;
/** Bad rows kept with their line numbers for the report. */
export const DEFAULT_MAX_EXAMPLES = 10;

const MAX_TEXT = 200;

/** Collects bad rows while a file streams. */
export interface BadRowTracker {
  add(line: number, reason: BadRowReason, message: string, text: string, place?: RowPlace): void;
  report(rows: number): BadRowReport;
}

/**
 * Creates an empty tracker.
 * @param maxExamples - How many bad rows to keep with their line and text (all are counted).
 */
export function createBadRowTracker(maxExamples: number = DEFAULT_MAX_EXAMPLES): BadRowTracker {
  const examples: BadRow[] = [];
  const byReason: Partial<Record<BadRowReason, number>> = {};
  let count = 0;
  return {
    add(line, reason, message, text, place): void {
      count++;
      byReason[reason] = (byReason[reason] ?? 0) + 1;
      if (examples.length < maxExamples) {
        const example: BadRow = {
          line,
          reason,
          message,
          text: text.length > MAX_TEXT ? text.slice(0, MAX_TEXT) : text,
        };
        if (place?.file !== undefined) example.file = place.file;
        if (place?.rowGroup !== undefined) example.rowGroup = place.rowGroup;
        examples.push(example);
      }
    },
    report(rows): BadRowReport {
      return { rows, count, byReason: { ...byReason }, examples: examples.map((e) => ({ ...e })) };
    },
  };
}

function percent(fraction: number): string {
  return `${Number((fraction * 100).toFixed(2))}%`;
}

/**
 * Describes a report in a few lines for a terminal: the count, the share of rows, the counts per reason
 * and the kept examples with their line numbers.
 * @param file - The file the report is about, as the user named it.
 * @param report - The bad rows of that file.
 */
export function formatBadRows(file: string, report: BadRowReport): string {
  if (report.count === 0) return `${file}: ${report.rows} rows, none bad`;
  const share = report.rows > 0 ? report.count / report.rows : 1;
  const reasons = Object.entries(report.byReason)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ');
  const lines = [`${file}: ${report.count} of ${report.rows} rows bad (${percent(share)}): ${reasons}`];
  for (const e of report.examples) {
    const at = e.rowGroup === undefined ? `line ${e.line}` : `row group ${e.rowGroup}, row ${e.line}`;
    const where = e.file === undefined ? at : `${e.file} ${at}`;
    lines.push(`  ${where}: ${e.message}${e.text === '' ? '' : ` | ${e.text}`}`);
  }
  if (report.count > report.examples.length) {
    lines.push(`  ... and ${report.count - report.examples.length} more`);
  }
  return lines.join('\n');
}

/**
 * Stops the run when more than `maxBadFraction` of the data rows are bad.
 * @param file - The file, named in the error.
 * @param report - Its bad rows.
 * @param maxBadFraction - The largest tolerated share of bad rows, 0..1.
 * @throws InputInvalidError naming the file, the count and the example lines.
 */
export function checkBadRows(file: string, report: BadRowReport, maxBadFraction: number): void {
  if (report.count === 0 || report.count <= maxBadFraction * report.rows) return;
  throw new InputInvalidError(
    `Too many bad rows (limit ${percent(maxBadFraction)}). ${formatBadRows(file, report)}`,
  );
}

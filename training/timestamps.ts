/**
 * Parsing event timestamps: the original's `YYYY-MM-DD HH:MM:SS`, ISO-8601, or Unix epoch numbers.
 * @module
 */

/**
 * How a timestamp column is written.
 * - `datetime`: `YYYY-MM-DD HH:MM:SS` (the original's) or ISO-8601 (`2025-01-01T10:20:00Z`,
 *   `2025-01-01T10:20:00.5+02:00`, `2025-01-01`). Without an offset the time is read as UTC.
 * - `epoch-seconds` / `epoch-millis`: a non-negative number since 1970-01-01 UTC (MovieLens uses seconds).
 */
export const TIMESTAMP_FORMATS = ['datetime', 'epoch-seconds', 'epoch-millis'] as const;
export type TimestampFormat = (typeof TIMESTAMP_FORMATS)[number];

const DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/;
const EPOCH = /^\d+(?:\.\d+)?$/;

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  // Arithmetic, not a Date per row: this runs for every event of a large input.
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : (MONTH_DAYS[month - 1] as number);
}

function offsetMinutes(zone: string | undefined): number | undefined {
  if (zone === undefined || zone === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2)) : 0;
  if (digits.length !== 2 && digits.length !== 4) return undefined;
  if (hours > 23 || minutes > 59) return undefined;
  return sign * (hours * 60 + minutes);
}

function parseDatetime(text: string): number | undefined {
  const m = DATETIME.exec(text);
  if (m === null) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const offset = offsetMinutes(zone);
  if (offset === undefined) return undefined;
  const millis = frac === '' ? 0 : Math.floor(Number(`0.${frac}`) * 1000);
  return Date.UTC(year, month - 1, day, hour, minute, second, millis) - offset * 60_000;
}

/**
 * Parses one timestamp cell.
 * @param text - The cell, already trimmed.
 * @param format - How the column is written.
 * @returns Milliseconds since 1970-01-01 UTC, or undefined when the cell does not match the format
 *   or names an impossible date (2025-02-30, 24:00:00).
 * @example
 * parseTimestamp('2025-01-01 10:20:00', 'datetime'); // 1735726800000
 */
export function parseTimestamp(text: string, format: TimestampFormat): number | undefined {
  if (format === 'datetime') return parseDatetime(text);
  if (!EPOCH.test(text)) return undefined;
  const value = Number(text);
  const millis = format === 'epoch-seconds' ? value * 1000 : value;
  return Number.isFinite(millis) && millis <= 8.64e15 ? millis : undefined;
}

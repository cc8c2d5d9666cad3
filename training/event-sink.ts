/**
 * What the readers of one part (CSV or Parquet) share: the rules a row is read by, and the sink its
 * events and bad rows go to.
 * @module
 */
import { ConfigInvalidError } from '../src/core/errors.js';
import type { BadRowTracker } from './bad-rows.js';
import type { EventColumns } from './event-columns.js';
import type { IdDictionary } from './id-dictionary.js';
import type { TimestampFormat } from './timestamps.js';

/** How a row's value and time are read. */
export interface RowRules {
  /** value per interaction type, replacing the value column */
  weights: ReadonlyMap<string, number> | undefined;
  format: TimestampFormat;
  /** name parts in bad-row examples (inputs of more than one part) */
  nameParts: boolean;
}

/** Where accepted rows go: interned ids and the growing event columns; refused rows go to `bad`. */
export interface EventSink {
  users: IdDictionary;
  videos: IdDictionary;
  types: IdDictionary;
  events: EventColumns;
  bad: BadRowTracker;
}

/** What reading one part saw. */
export interface PartRead {
  /** data rows, good and bad */
  rows: number;
  /** sha256 (hex) of the bytes read */
  sha256: string;
  /** the part's size in bytes */
  bytes: number;
}

/**
 * Per-type weights need the type column; a layout may mark it optional, so each part checks.
 * @throws ConfigInvalidError naming the part
 */
export function checkWeightsHaveType(file: string, rules: RowRules, typeColumn: number | undefined): void {
  if (rules.weights !== undefined && typeColumn === undefined) {
    throw new ConfigInvalidError(`${file} has no interaction type column for the per-type weights`);
  }
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Parses a plain decimal number; undefined for empty, hex, `NaN`, `Infinity` and other non-numbers. */
export function parseDecimal(text: string): number | undefined {
  if (!DECIMAL.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

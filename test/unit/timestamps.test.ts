import { describe, expect, it } from 'vitest';
import { parseTimestamp } from '../../training/timestamps.js';

const utc = (...parts: [number, number, number, number?, number?, number?, number?]): number =>
  Date.UTC(...parts);

describe('Function: parseTimestamp', () => {
  it.each([
    ['2025-01-01 10:20:00', utc(2025, 0, 1, 10, 20)],
    ['2025-01-01T10:20:00Z', utc(2025, 0, 1, 10, 20)],
    ['2025-01-01T10:20:00', utc(2025, 0, 1, 10, 20)],
    ['2025-01-01T10:20', utc(2025, 0, 1, 10, 20)],
    ['2025-01-01T10:20:00.123-05:30', utc(2025, 0, 1, 15, 50, 0, 123)],
    ['2025-01-01T10:20:00+0100', utc(2025, 0, 1, 9, 20)],
    ['2024-02-29', utc(2024, 1, 29)],
  ])('reads %s as datetime', (text, expected) => {
    expect(parseTimestamp(text, 'datetime')).toBe(expected);
  });

  it.each([
    '2025-02-29',
    '2025-13-01 00:00:00',
    '2025-01-01 24:00:00',
    '2025-01-01 10:60:00',
    '01/02/2025',
    '2025-01-01T10:20:00+25:00',
    '',
    '1735726800',
  ])('refuses %j as datetime', (text) => {
    expect(parseTimestamp(text, 'datetime')).toBeUndefined();
  });

  it('reads epoch seconds and milliseconds and refuses other text', () => {
    expect([
      parseTimestamp('881250949', 'epoch-seconds'),
      parseTimestamp('881250949123', 'epoch-millis'),
      parseTimestamp('1.5', 'epoch-seconds'),
      parseTimestamp('-1', 'epoch-seconds'),
      parseTimestamp('2025-01-01', 'epoch-millis'),
    ]).toEqual([881250949000, 881250949123, 1500, undefined, undefined]);
  });
});

import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatBadRows } from '../../training/bad-rows.js';
import { readEvents } from '../../training/read-events.js';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`../fixtures/events/${name}`, import.meta.url));

describe('Function: formatBadRows', () => {
  it('prints the count, share, reasons and example lines', async () => {
    const read = await readEvents(fixture('bad-rows.csv'), { maxBadFraction: 1, maxExamples: 1 });

    expect(formatBadRows('bad-rows.csv', read.bad)).toBe(
      [
        'bad-rows.csv: 7 of 11 rows bad (63.64%): missing-video 1, bad-value 2, bad-timestamp 1, column-count 1, missing-user 1, missing-type 1',
        '  line 3: missing video id | u1,,watch,1,USA,2025-01-01 10:11:00',
        '  ... and 6 more',
      ].join('\n'),
    );
  });
});

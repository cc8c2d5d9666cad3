import { describe, expect, it } from 'vitest';
import { memoryLine, residentBytes } from '../../training/memory.js';

describe('Function: memoryLine', () => {
  it('states bytes per interaction held and at peak, and RSS in MB', () => {
    expect(memoryLine(1_000_000, 30_000_000, { now: 2 ** 30, peak: 2 ** 31 })).toBe(
      'Memory: 30.0 B/interaction in id tables and event columns; RSS 1,024 MB now, 2,048 MB at peak (2147.5 B/interaction)',
    );
  });

  it('measures this process: a peak at least as high as the resident memory now', () => {
    const { now, peak } = residentBytes();

    expect(now > 0 && peak >= now * 0.9).toBe(true);
  });
});

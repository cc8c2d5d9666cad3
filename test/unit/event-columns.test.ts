import { describe, expect, it } from 'vitest';
import { BYTES_PER_EVENT, EventColumns } from '../../training/event-columns.js';

describe('Class: EventColumns', () => {
  it('keeps events across growing blocks and finishes exact-length columns in push order', () => {
    // Prepare
    const columns = new EventColumns();
    const n = 4096 + 8192 + 5;

    // Act
    for (let i = 0; i < n; i++) columns.push(i, i + 1, i / 2, i % 3, i * 1000);
    const held = columns.bytes();
    const out = columns.finish();

    // Assess
    expect({
      count: columns.count,
      held,
      lengths: [out.user.length, out.video.length, out.value.length, out.type.length, out.timestamp.length],
      at: [4095, 4096, 12287, 12288, n - 1].map((i) => [
        out.user[i],
        out.video[i],
        out.value[i],
        out.type[i],
        out.timestamp[i],
      ]),
      emptied: columns.bytes(),
    }).toEqual({
      count: n,
      held: (4096 + 8192 + 16384) * BYTES_PER_EVENT,
      lengths: [n, n, n, n, n],
      at: [4095, 4096, 12287, 12288, n - 1].map((i) => [i, i + 1, i / 2, i % 3, i * 1000]),
      emptied: 0,
    });
  });
});

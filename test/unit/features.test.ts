import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { buildInteractions } from '../../training/features.js';
import { readEvents } from '../../training/read-events.js';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`../fixtures/events/${name}`, import.meta.url));
const original = fileURLToPath(new URL('../../data/original/interactions.csv', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'features-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Row `r` of a CSR matrix as { column id: value }. */
function rowOf(m: ReturnType<typeof buildInteractions>, userId: string): Record<string, number> {
  const r = m.userIds.indexOf(userId);
  const out: Record<string, number> = {};
  for (let p = m.matrix.indptr[r] as number; p < (m.matrix.indptr[r + 1] as number); p++) {
    out[m.videoIds[m.matrix.indices[p] as number] as string] = m.matrix.data[p] as number;
  }
  return out;
}

describe('Function: buildInteractions', () => {
  it('turns the original sample into the 5 x 5 matrix of the tutorial, u002 having watched only v003', async () => {
    const read = await readEvents(original);

    const interactions = buildInteractions(read);

    // The tutorial's ratings table: u001 v001 3, u001 v002 1, u002 v003 4, u003 v004 1, u004 v005 3, u005 v001 1.
    expect({
      userIds: interactions.userIds,
      videoIds: interactions.videoIds,
      matrix: interactions.matrix,
      events: interactions.events,
      digest: interactions.digest,
    }).toEqual({
      userIds: ['u001', 'u002', 'u003', 'u004', 'u005'],
      videoIds: ['v001', 'v002', 'v003', 'v004', 'v005'],
      matrix: {
        rows: 5,
        cols: 5,
        indptr: Int32Array.from([0, 2, 3, 4, 5, 6]),
        indices: Int32Array.from([0, 1, 2, 3, 4, 0]),
        data: Float32Array.from([3, 1, 4, 1, 3, 1]),
      },
      events: 8,
      digest: read.sha256,
    });
    expect(rowOf(interactions, 'u002')).toEqual({ v003: 4 });
  });

  it('sums duplicate pairs, sorts ids by code units and records the last time of each pair', async () => {
    const interactions = buildInteractions(await readEvents(fixture('small.csv')));

    expect(interactions).toEqual({
      userIds: ['u1', 'u10', 'u2'],
      videoIds: ['v1', 'v2', 'v3'],
      matrix: {
        rows: 3,
        cols: 3,
        indptr: Int32Array.from([0, 2, 3, 5]),
        indices: Int32Array.from([0, 1, 1, 0, 2]),
        data: Float32Array.from([3, 3, 1.5, 1, 4]),
      },
      events: 6,
      digest: interactions.digest,
      lastTimestamp: Float64Array.from([
        Date.UTC(2025, 0, 1, 10, 20),
        Date.UTC(2025, 0, 1, 10, 0),
        Date.UTC(2025, 0, 4),
        Date.UTC(2025, 0, 2, 8),
        Date.UTC(2025, 0, 3, 9, 30, 0, 250),
      ]),
    });
  });

  it('gives the same matrix whatever the order of the rows in the file', async () => {
    const lines = readFileSync(fixture('small.csv'), 'utf8').trimEnd().split('\n');
    const reversed = join(scratch, 'reversed.csv');
    writeFileSync(reversed, `${[lines[0], ...lines.slice(1).reverse()].join('\n')}\n`);

    const [a, b] = await Promise.all([readEvents(fixture('small.csv')), readEvents(reversed)]);
    const [x, y] = [buildInteractions(a), buildInteractions(b)];

    expect(a.userIds).not.toEqual(b.userIds);
    expect({ ...y, digest: x.digest }).toEqual(x);
  });

  it('leaves last times NaN when the input has no timestamps', async () => {
    const interactions = buildInteractions(
      await readEvents(fixture('movielens.data'), {
        layout: { delimiter: '\t', header: false, user: 0, video: 1, value: 2 },
      }),
    );

    expect({
      userIds: interactions.userIds,
      data: Array.from(interactions.matrix.data),
      last: Array.from(interactions.lastTimestamp),
    }).toEqual({ userIds: ['186', '196', '22'], data: [2, 3, 3, 5, 1], last: [NaN, NaN, NaN, NaN, NaN] });
  });
});

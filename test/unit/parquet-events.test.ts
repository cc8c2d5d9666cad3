import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigInvalidError, InputInvalidError } from '../../src/core/errors.js';
import { formatBadRows } from '../../training/bad-rows.js';
import { type EventLayout, readEvents } from '../../training/read-events.js';
import { writeParquet, writeText } from '../helpers/parquet.js';

const scratch = mkdtempSync(join(tmpdir(), 'parquet-events-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

const warehouse: EventLayout = {
  delimiter: ',',
  header: true,
  user: 'user_id',
  video: 'video_id',
  type: 'event_type',
  value: 'value',
  timestamp: 'event_time',
};

/** Five events as a warehouse writes them: bigint users, string videos, TIMESTAMP_MILLIS times. */
function warehouseFile(path: string, rowGroupSize: number): void {
  writeParquet(path, {
    rowGroupSize,
    columns: [
      { name: 'user_id', data: [7n, 8n, 7n, 9007199254740993n, 8n], type: 'INT64' },
      { name: 'video_id', data: ['v1', 'v2', 'v2', 'v1', 'v3'], type: 'STRING' },
      { name: 'event_type', data: ['watch', 'like', 'watch', 'complete', 'watch'], type: 'STRING' },
      { name: 'value', data: [1, 2, 1, 3, 1.5], type: 'DOUBLE' },
      {
        name: 'event_time',
        data: [1000, 2000, 3000, 4000, 5000].map((ms) => new Date(1_764_547_200_000 + ms)),
        type: 'TIMESTAMP',
      },
    ],
  });
}

describe('Function: readParquetPart (through readEvents)', () => {
  it('reads typed columns: integer ids as their decimal text (beyond 2^53 exactly), times in ms', async () => {
    // Prepare
    const file = join(scratch, 'events.parquet');
    warehouseFile(file, 2);

    // Act
    const read = await readEvents(file, { layout: warehouse });

    // Assess
    expect({
      parts: read.parts,
      userIds: read.userIds,
      videoIds: read.videoIds,
      types: read.types,
      user: Array.from(read.user),
      value: Array.from(read.value),
      timestamp: Array.from(read.timestamp, (t) => t - 1_764_547_200_000),
      rows: read.bad.rows,
      sha256: read.sha256,
    }).toEqual({
      parts: 1,
      userIds: ['7', '8', '9007199254740993'],
      videoIds: ['v1', 'v2', 'v3'],
      types: ['watch', 'like', 'complete'],
      user: [0, 1, 0, 2, 1],
      value: [1, 2, 1, 3, 1.5],
      timestamp: [1000, 2000, 3000, 4000, 5000],
      rows: 5,
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it('gives the same ids, values and times as a CSV of the same events', async () => {
    // Prepare
    const parquet = join(scratch, 'same.parquet');
    writeParquet(parquet, {
      columns: [
        { name: 'userId', data: [12, 3, 12], type: 'INT32' },
        { name: 'videoId', data: ['v9', 'v1', 'v1'], type: 'STRING' },
        { name: 'interactionType', data: ['watch', 'like', 'watch'], type: 'STRING' },
        { name: 'interactionValue', data: [1, 2, 1], type: 'INT32' },
        {
          name: 'timestamp',
          data: ['2025-01-01 10:00:00', '2025-01-02', '2025-01-03T00:00:00Z'],
          type: 'STRING',
        },
      ],
    });
    const csv = join(scratch, 'same.csv');
    writeText(
      csv,
      'userId,videoId,interactionType,interactionValue,timestamp\n12,v9,watch,1,2025-01-01 10:00:00\n3,v1,like,2,2025-01-02\n12,v1,watch,1,2025-01-03T00:00:00Z\n',
    );

    // Act
    const [fromParquet, fromCsv] = await Promise.all([readEvents(parquet), readEvents(csv)]);

    // Assess
    const view = (r: typeof fromCsv) => ({
      userIds: r.userIds,
      videoIds: r.videoIds,
      types: r.types,
      user: Array.from(r.user),
      video: Array.from(r.video),
      value: Array.from(r.value),
      timestamp: Array.from(r.timestamp),
    });
    expect(view(fromParquet)).toEqual(view(fromCsv));
  });

  it('reports bad rows with part, row group and file row, and takes a partition folder as a column', async () => {
    // Prepare
    const root = join(scratch, 'partitioned');
    writeParquet(join(root, 'dt=2026-11-30', 'part-00000.snappy.parquet'), {
      rowGroupSize: 2,
      columns: [
        { name: 'user_id', data: ['u1', null, 'u2', 'u3'], type: 'STRING' },
        { name: 'video_id', data: ['v1', 'v1', '', 'v2'], type: 'STRING' },
        { name: 'value', data: [1, 1, 1, -2], type: 'DOUBLE' },
      ],
    });
    writeParquet(join(root, 'dt=2026-12-01', 'part-00000.snappy.parquet'), {
      columns: [
        { name: 'user_id', data: ['u1', 'u4'], type: 'STRING' },
        { name: 'video_id', data: ['v2', 'v3'], type: 'STRING' },
        { name: 'value', data: [3, 4], type: 'DOUBLE' },
      ],
    });
    const layout = { ...warehouse, type: undefined, timestamp: 'dt' };

    // Act
    const read = await readEvents(root, { layout, maxBadFraction: 0.5 });

    // Assess
    const first = join(root, 'dt=2026-11-30', 'part-00000.snappy.parquet');
    expect({
      userIds: read.userIds,
      timestamp: Array.from(read.timestamp),
      report: formatBadRows(root, read.bad),
    }).toEqual({
      userIds: ['u1', 'u4'],
      timestamp: [Date.UTC(2026, 10, 30), Date.UTC(2026, 11, 1), Date.UTC(2026, 11, 1)],
      report: [
        `${root}: 3 of 6 rows bad (50%): missing-user 1, missing-video 1, bad-value 1`,
        `  ${first} row group 0, row 2: missing user id | user=, video=v1, value=1, timestamp=2026-11-30`,
        `  ${first} row group 1, row 3: missing video id | user=u2, video=, value=1, timestamp=2026-11-30`,
        `  ${first} row group 1, row 4: value "-2" is not a non-negative number | user=u3, video=v2, value=-2, timestamp=2026-11-30`,
      ].join('\n'),
    });
  });

  it('weighs types, refuses unknown types and unreadable times, and reads epoch numbers by format', async () => {
    // Prepare
    const file = join(scratch, 'epoch.parquet');
    writeParquet(file, {
      columns: [
        { name: 'u', data: ['a', 'b', 'a', 'b'], type: 'STRING' },
        { name: 'v', data: ['x', 'y', 'x', 'y'], type: 'STRING' },
        { name: 'kind', data: ['watch', 'like', 'share', 'watch'], type: 'STRING' },
        { name: 'at', data: [1_700_000_000, 1_700_000_001, 1_700_000_002, null], type: 'DOUBLE' },
      ],
    });
    const layout: EventLayout = {
      delimiter: ',',
      header: true,
      user: 'u',
      video: 'v',
      type: 'kind',
      timestamp: 'at',
      timestampFormat: 'epoch-seconds',
    };

    // Act
    const read = await readEvents(file, { layout, weights: { watch: 1, like: 2 }, maxBadFraction: 0.5 });

    // Assess
    expect({
      value: Array.from(read.value),
      timestamp: Array.from(read.timestamp),
      bad: read.bad.examples.map((e) => [e.line, e.rowGroup, e.reason]),
    }).toEqual({
      value: [1, 2],
      timestamp: [1_700_000_000_000, 1_700_000_001_000],
      bad: [
        [3, 0, 'unknown-type'],
        [4, 0, 'bad-timestamp'],
      ],
    });
  });

  it('refuses a numeric time without an epoch format, a list column, a missing column and a damaged file', async () => {
    // Prepare
    const numeric = join(scratch, 'numeric-time.parquet');
    writeParquet(numeric, {
      columns: [
        { name: 'userId', data: ['a', 'b'], type: 'STRING' },
        { name: 'videoId', data: ['x', 'y'], type: 'STRING' },
        { name: 'interactionValue', data: [1, 1], type: 'INT32' },
        { name: 'timestamp', data: [1n, 2n], type: 'INT64' },
      ],
    });
    const listed = join(scratch, 'list-user.parquet');
    writeParquet(listed, {
      columns: [
        { name: 'userId', data: [['a'], ['b']] },
        { name: 'videoId', data: ['x', 'y'] },
        { name: 'interactionValue', data: [1, 1] },
      ],
      schema: [
        { name: 'root', num_children: 3 },
        { name: 'userId', repetition_type: 'OPTIONAL', num_children: 1, converted_type: 'LIST' },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        { name: 'element', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
        { name: 'videoId', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
        { name: 'interactionValue', type: 'INT32', repetition_type: 'REQUIRED' },
      ],
    });
    const damaged = join(scratch, 'damaged.parquet');
    writeText(damaged, 'PAR1 this is not parquet PAR1');

    // Act
    const errors = await Promise.all([
      rejection(readEvents(numeric)),
      rejection(readEvents(listed)),
      rejection(readEvents(numeric, { layout: { ...warehouse, user: 'userId', video: 'videoId' } })),
      rejection(readEvents(damaged)),
    ]);

    // Assess
    expect(errors.map((e) => [e.constructor.name, e.message])).toEqual([
      [
        'ConfigInvalidError',
        `${numeric}: timestamp column timestamp holds numbers; say --timestamp-format epoch-seconds or epoch-millis`,
      ],
      ['ConfigInvalidError', `${listed}: column userId for user is not a plain value column`],
      [
        'InputInvalidError',
        `${numeric}: header lacks columns value, event_type, event_time (line 1 has: userId, videoId, interactionValue, timestamp)`,
      ],
      ['InputInvalidError', expect.stringMatching(/damaged\.parquet is not a readable Parquet file: /)],
    ]);
    expect(errors[0]).toBeInstanceOf(ConfigInvalidError);
    expect(errors[3]).toBeInstanceOf(InputInvalidError);
  });
});

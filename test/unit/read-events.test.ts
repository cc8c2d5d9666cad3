import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigInvalidError, InputInvalidError } from '../../src/core/errors.js';
import { parseDecimal, readEvents } from '../../training/read-events.js';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`../fixtures/events/${name}`, import.meta.url));
const original = fileURLToPath(new URL('../../data/original/interactions.csv', import.meta.url));
const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');
const utc = (...parts: [number, number, number, number?, number?, number?, number?]): number =>
  Date.UTC(...parts);

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

const scratch = mkdtempSync(join(tmpdir(), 'read-events-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('Function: readEvents', () => {
  it('reads the original format into columns with first-seen ids and both timestamp formats', async () => {
    const file = fixture('small.csv');

    const read = await readEvents(file);

    expect(read).toEqual({
      file,
      count: 6,
      userIds: ['u2', 'u1', 'u10'],
      videoIds: ['v1', 'v2', 'v3'],
      types: ['watch', 'like', 'complete', 'share'],
      user: Int32Array.from([0, 1, 1, 1, 0, 2]),
      video: Int32Array.from([0, 0, 0, 1, 2, 1]),
      value: Float64Array.from([1, 1, 2, 3, 4, 1.5]),
      type: Int32Array.from([0, 0, 1, 2, 3, 0]),
      timestamp: Float64Array.from([
        utc(2025, 0, 2, 8),
        utc(2025, 0, 1, 10, 10),
        utc(2025, 0, 1, 10, 20),
        utc(2025, 0, 1, 10, 0),
        utc(2025, 0, 3, 9, 30, 0, 250),
        utc(2025, 0, 4),
      ]),
      bad: { rows: 6, count: 0, byReason: {}, examples: [] },
      sha256: sha256(file),
      bytes: readFileSync(file).length,
      parts: 1,
      heldBytes: expect.any(Number),
    });
  });

  it('uses per-type weights instead of the value column when given', async () => {
    const read = await readEvents(fixture('small.csv'), {
      weights: { watch: 1, like: 5, complete: 10, share: 0 },
    });

    expect(Array.from(read.value)).toEqual([1, 1, 5, 10, 0, 1]);
  });

  it('counts a type without a weight as a bad row and keeps its line', async () => {
    const read = await readEvents(fixture('small.csv'), {
      weights: { watch: 1, like: 2, complete: 3 },
      maxBadFraction: 0.2,
    });

    expect({ count: read.count, bad: read.bad }).toEqual({
      count: 5,
      bad: {
        rows: 6,
        count: 1,
        byReason: { 'unknown-type': 1 },
        examples: [
          {
            line: 6,
            reason: 'unknown-type',
            message: 'interaction type "share" has no weight',
            text: 'u2,v3,share,4,UK,2025-01-03T09:30:00.250Z',
          },
        ],
      },
    });
  });

  it('reports every bad row with its 1-based file line, counting blank lines and quoted newlines', async () => {
    const read = await readEvents(fixture('bad-rows.csv'), { maxBadFraction: 0.7 });

    expect(read.bad).toEqual({
      rows: 11,
      count: 7,
      byReason: {
        'missing-video': 1,
        'bad-value': 2,
        'bad-timestamp': 1,
        'column-count': 1,
        'missing-user': 1,
        'missing-type': 1,
      },
      examples: [
        {
          line: 3,
          reason: 'missing-video',
          message: 'missing video id',
          text: 'u1,,watch,1,USA,2025-01-01 10:11:00',
        },
        {
          line: 5,
          reason: 'bad-value',
          message: 'value "abc" is not a non-negative number',
          text: 'u2,v1,like,abc,UK,2025-01-01 10:12:00',
        },
        {
          line: 8,
          reason: 'bad-timestamp',
          message: 'timestamp "2025-02-30 10:14:00" is not datetime',
          text: 'u3,v2,watch,1,UK,2025-02-30 10:14:00',
        },
        { line: 9, reason: 'column-count', message: 'expected 6 columns, found 5', text: 'u3,v1,watch,1,UK' },
        {
          line: 10,
          reason: 'missing-user',
          message: 'missing user id',
          text: ',v2,watch,1,UK,2025-01-01 10:15:00',
        },
        {
          line: 12,
          reason: 'missing-type',
          message: 'missing interaction type',
          text: 'u4,v3,,1,USA,2025-01-01 10:17:00',
        },
        {
          line: 13,
          reason: 'bad-value',
          message: 'value "-1" is not a non-negative number',
          text: 'u5,v3,watch,-1,USA,2025-01-01 10:18:00',
        },
      ],
    });
    expect({ userIds: read.userIds, videoIds: read.videoIds, count: read.count }).toEqual({
      userIds: ['u1', 'u2', 'u4', 'u5'],
      videoIds: ['v1', 'v2'],
      count: 4,
    });
  });

  it('keeps only maxExamples bad rows but counts them all', async () => {
    const read = await readEvents(fixture('bad-rows.csv'), { maxBadFraction: 1, maxExamples: 2 });

    expect({ count: read.bad.count, lines: read.bad.examples.map((e) => e.line) }).toEqual({
      count: 7,
      lines: [3, 5],
    });
  });

  it('stops above the default 1% with an error naming the file, the count and example lines', async () => {
    const file = fixture('bad-rows.csv');

    const error = await rejection(readEvents(file));

    expect(error).toBeInstanceOf(InputInvalidError);
    expect(error.message).toContain(`${file}: 7 of 11 rows bad (63.64%)`);
    expect(error.message).toContain('limit 1%');
    expect(error.message).toContain('line 3: missing video id');
    expect(error.message).toContain('line 13: value "-1" is not a non-negative number');
  });

  it('counts unreadable CSV as bad rows with a line', async () => {
    const read = await readEvents(fixture('parse-error.csv'), { maxBadFraction: 0.5 });

    expect({
      count: read.count,
      rows: read.bad.rows,
      bad: read.bad.count,
      reason: read.bad.examples[0]?.reason,
    }).toEqual({ count: 2, rows: 3, bad: 1, reason: 'parse-error' });
    expect(read.bad.examples[0]?.line).toBe(4);
  });

  it('reads MovieLens u.data through the named layout', async () => {
    const read = await readEvents(fixture('movielens.data'), { layout: 'movielens' });

    expect({
      userIds: read.userIds,
      videoIds: read.videoIds,
      user: Array.from(read.user),
      video: Array.from(read.video),
      value: Array.from(read.value),
      type: Array.from(read.type),
      types: read.types,
      firstTimestamp: read.timestamp[0],
    }).toEqual({
      userIds: ['196', '186', '22'],
      videoIds: ['242', '302', '377'],
      user: [0, 1, 2, 0, 1],
      video: [0, 1, 2, 1, 0],
      value: [3, 3, 1, 5, 2],
      type: [-1, -1, -1, -1, -1],
      types: [],
      firstTimestamp: 881250949000,
    });
  });

  it('reads other layouts through explicit column options by name', async () => {
    const read = await readEvents(fixture('semicolon.csv'), {
      layout: {
        delimiter: ';',
        header: true,
        user: 'who',
        video: 'item',
        type: 'kind',
        timestamp: 'when',
        timestampFormat: 'epoch-seconds',
      },
      weights: { watch: 1, like: 2 },
    });

    expect({
      userIds: read.userIds,
      videoIds: read.videoIds,
      value: Array.from(read.value),
      timestamp: Array.from(read.timestamp),
    }).toEqual({
      userIds: ['alice', 'bob'],
      videoIds: ['v1', 'v2'],
      value: [1, 2, 1],
      timestamp: [1735726800000, 1735726900000, 1735727000000],
    });
  });

  it('reads by column index without a header, every event counting 1 without a value column', async () => {
    const read = await readEvents(fixture('movielens.data'), {
      layout: { delimiter: '\t', header: false, user: 1, video: 0 },
    });

    expect({
      userIds: read.userIds,
      value: Array.from(read.value),
      ts: Number.isNaN(read.timestamp[0]),
    }).toEqual({
      userIds: ['242', '302', '377'],
      value: [1, 1, 1, 1, 1],
      ts: true,
    });
  });

  it('never guesses: the default layout on a header-less file names the missing columns', async () => {
    const error = await rejection(readEvents(fixture('movielens.data')));

    expect(error).toBeInstanceOf(InputInvalidError);
    expect(error.message).toMatch(
      /header lacks columns userId, videoId, interactionValue \(line 1 has: 196\t242\t3\t881250949\)/,
    );
  });

  it.each([
    ['empty.csv', /empty\.csv has no events/],
    ['header-only.csv', /header-only\.csv has no events/],
    ['single-user.csv', /all 2 events are from one user \(u1\); ALS needs at least two users/],
    ['single-video.csv', /all 2 events are on one video \(v1\); ALS needs at least two videos/],
  ])('refuses %s with a clear InputInvalidError', async (name, message) => {
    const error = await rejection(readEvents(fixture(name)));

    expect(error).toBeInstanceOf(InputInvalidError);
    expect(error.message).toMatch(message);
  });

  it('refuses a missing file with InputInvalidError naming it', async () => {
    const error = await rejection(readEvents(fixture('no-such-file.csv')));

    expect(error).toBeInstanceOf(InputInvalidError);
    expect(error.message).toMatch(/Cannot read .*no-such-file\.csv/);
  });

  it('refuses inconsistent options with ConfigInvalidError', async () => {
    const noType = {
      delimiter: ',',
      header: true,
      user: 'userId',
      video: 'videoId',
      value: 'interactionValue',
    };

    const errors = await Promise.all([
      rejection(readEvents(fixture('no-type.csv'), { layout: noType, weights: { watch: 1 } })),
      rejection(readEvents(fixture('small.csv'), { maxBadFraction: 2 })),
      rejection(readEvents(fixture('small.csv'), { layout: { ...noType, header: false } })),
      rejection(readEvents(fixture('small.csv'), { weights: { watch: -1 } })),
    ]);

    expect(errors.map((e) => [e.constructor.name, e.message])).toEqual([
      ['ConfigInvalidError', 'Weights per interaction type need a type column in the events layout'],
      ['ConfigInvalidError', 'maxBadFraction must be within 0..1, got 2'],
      ['ConfigInvalidError', 'Column "userId" for user is a name, but the layout has no header'],
      ['ConfigInvalidError', 'Weight of "watch" must be a non-negative number, got -1'],
    ]);
    expect(errors.every((e) => e instanceof ConfigInvalidError)).toBe(true);
  });

  it('computes a stable sha256 of the file bytes', async () => {
    const [a, b] = await Promise.all([readEvents(original), readEvents(original)]);

    expect([a.sha256, b.sha256]).toEqual([sha256(original), sha256(original)]);
  });

  it('decompresses a .gz file transparently and digests its stored bytes', async () => {
    const gz = join(scratch, 'small.csv.gz');
    writeFileSync(gz, gzipSync(readFileSync(fixture('small.csv'))));

    const [plain, packed] = await Promise.all([readEvents(fixture('small.csv')), readEvents(gz)]);

    expect({ ...packed, file: plain.file, sha256: plain.sha256, bytes: plain.bytes }).toEqual(plain);
    expect(packed.sha256).toBe(sha256(gz));
  });
});

describe('Function: readEvents on plain and multi-part inputs', () => {
  it('reads a plain userId,videoId,interactionValue file with the default layout', async () => {
    // Prepare
    const file = join(scratch, 'plain.csv');
    writeFileSync(file, 'userId,videoId,interactionValue\nu1,v1,2\nu2,v1,1\nu2,v2,3\n');

    // Act
    const read = await readEvents(file);

    // Assess
    expect({
      userIds: read.userIds,
      videoIds: read.videoIds,
      types: read.types,
      value: Array.from(read.value),
      type: Array.from(read.type),
      timestampsNaN: Array.from(read.timestamp).every(Number.isNaN),
    }).toEqual({
      userIds: ['u1', 'u2'],
      videoIds: ['v1', 'v2'],
      types: [],
      value: [2, 1, 3],
      type: [-1, -1, -1],
      timestampsNaN: true,
    });
  });

  it('reads a directory of CSV.gz parts, each with its header, naming part and line of bad rows', async () => {
    // Prepare
    const dir = join(scratch, 'gz-parts');
    mkdirSync(join(dir, 'dt=2026-11-30'), { recursive: true });
    mkdirSync(join(dir, 'dt=2026-12-01'), { recursive: true });
    const header = 'userId,videoId,interactionType,interactionValue,timestamp\n';
    const first = join(dir, 'dt=2026-11-30', 'part-00000.csv.gz');
    const second = join(dir, 'dt=2026-12-01', 'part-00000.csv.gz');
    writeFileSync(
      first,
      gzipSync(`${header}u1,v1,watch,1,2026-11-30 10:00:00\nu2,v1,watch,x,2026-11-30 11:00:00\n`),
    );
    writeFileSync(
      second,
      gzipSync(`${header}u2,v2,like,2,2026-12-01 09:00:00\n\nu3,,watch,1,2026-12-01 09:00:00\n`),
    );
    writeFileSync(join(dir, '_SUCCESS'), '');

    // Act
    const read = await readEvents(dir, { maxBadFraction: 0.5 });

    // Assess
    expect({
      parts: read.parts,
      count: read.count,
      userIds: read.userIds,
      bytes: read.bytes,
      bad: read.bad.examples,
    }).toEqual({
      parts: 2,
      count: 2,
      userIds: ['u1', 'u2'],
      bytes: readFileSync(first).length + readFileSync(second).length,
      bad: [
        {
          file: first,
          line: 3,
          reason: 'bad-value',
          message: 'value "x" is not a non-negative number',
          text: 'u2,v1,watch,x,2026-11-30 11:00:00',
        },
        {
          file: second,
          line: 4,
          reason: 'missing-video',
          message: 'missing video id',
          text: 'u3,,watch,1,2026-12-01 09:00:00',
        },
      ],
    });
  });

  it('refuses per-type weights when a part has no type column', async () => {
    // Prepare
    const file = join(scratch, 'no-type-weights.csv');
    writeFileSync(file, 'userId,videoId,interactionValue\nu1,v1,1\nu2,v2,1\n');

    // Act
    const error = await rejection(readEvents(file, { weights: { watch: 1 } }));

    // Assess
    expect([error.constructor.name, error.message]).toEqual([
      'ConfigInvalidError',
      `${file} has no interaction type column for the per-type weights`,
    ]);
  });
});

describe('Function: parseDecimal', () => {
  it('accepts plain decimals and refuses everything Number() would bend', () => {
    expect(
      ['3', '-2.5', '.5', '1e3', '', ' ', '0x10', 'NaN', 'Infinity', '1,5', '2a'].map(parseDecimal),
    ).toEqual([
      3,
      -2.5,
      0.5,
      1000,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
});

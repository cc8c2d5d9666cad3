import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputInvalidError } from '../../src/core/errors.js';
import { buildInteractions } from '../../training/features.js';
import { partFiles, readEventsInput, readVideosInput } from '../../training/input-files.js';
import { readEvents } from '../../training/read-events.js';

const HEADER = 'userId,videoId,interactionType,interactionValue,location,timestamp';
const ROWS = [
  'u1,v1,watch,1,US,2026-11-30 10:00:00',
  'u2,v2,like,2,US,2026-11-30 10:01:00',
  'u3,v1,watch,1,DE,2026-11-30 10:02:00',
  'u1,v3,complete,3,US,2026-11-30 10:03:00',
  'u4,v2,watch,1,FR,2026-11-30 10:04:00',
  'u2,v1,watch,1,US,2026-11-30 10:05:00',
  'u5,v4,like,2,US,2026-11-30 10:06:00',
];
const csv = (rows: readonly string[]): string => `${HEADER}\n${rows.join('\n')}\n`;

describe('Function: readEventsInput', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'input-files-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a directory of CSV and CSV.gz parts (Hive folders too) as the one file they split', async () => {
    // Prepare: one user only in the first part, a gzipped part, a partition folder, files to skip
    const parts = join(dir, 'channel');
    await mkdir(join(parts, 'dt=2026-11-30'), { recursive: true });
    await writeFile(join(parts, 'part-00000.csv'), csv(ROWS.slice(0, 1)));
    await writeFile(join(parts, 'part-00001.csv.gz'), gzipSync(csv(ROWS.slice(1, 4))));
    await writeFile(join(parts, 'dt=2026-11-30', 'part-00000.csv'), csv(ROWS.slice(4)));
    await writeFile(join(parts, '_SUCCESS'), '');
    await writeFile(join(parts, '.part-00000.csv.crc'), 'crc');
    await writeFile(join(dir, 'whole.csv'), csv(ROWS));

    // Act
    const merged = await readEventsInput(parts);
    const whole = await readEvents(join(dir, 'whole.csv'));

    // Assess
    const a = buildInteractions(merged);
    const b = buildInteractions(whole);
    expect(await partFiles(parts)).toEqual([
      join(parts, 'dt=2026-11-30', 'part-00000.csv'),
      join(parts, 'part-00000.csv'),
      join(parts, 'part-00001.csv.gz'),
    ]);
    expect({ users: a.userIds, videos: a.videoIds, events: a.events, matrix: a.matrix }).toEqual({
      users: b.userIds,
      videos: b.videoIds,
      events: b.events,
      matrix: b.matrix,
    });
    expect(merged.types.sort()).toEqual(['complete', 'like', 'watch']);
    expect(Array.from(a.lastTimestamp)).toEqual(Array.from(b.lastTimestamp));
    expect({ file: merged.file, rows: merged.bad.rows, digest: merged.sha256.length }).toEqual({
      file: parts,
      rows: 7,
      digest: 64,
    });
  });

  it('counts bad rows over all parts, names the part of each example, and stops above the limit', async () => {
    // Prepare
    await writeFile(join(dir, 'a.csv'), csv(ROWS.slice(0, 4)));
    await writeFile(join(dir, 'b.csv'), csv([...ROWS.slice(4), 'u9,v9,watch,lots,US,2026-11-30 10:00:00']));

    // Act
    const tolerant = await readEventsInput(dir, { maxBadFraction: 0.2 });
    const strict = readEventsInput(dir, { maxBadFraction: 0.1 });

    // Assess
    expect(tolerant.bad).toEqual({
      rows: 8,
      count: 1,
      byReason: { 'bad-value': 1 },
      examples: [
        {
          line: 5,
          reason: 'bad-value',
          message: 'b.csv: value "lots" is not a non-negative number',
          text: 'u9,v9,watch,lots,US,2026-11-30 10:00:00',
        },
      ],
    });
    await expect(strict).rejects.toThrow(/Too many bad rows \(limit 10%\)\. .*: 1 of 8 rows bad/);
  });

  it('refuses a directory without part files, and a whole input with one video', async () => {
    await mkdir(join(dir, 'empty'));
    await mkdir(join(dir, 'one'), { recursive: true });
    await writeFile(join(dir, 'one', 'a.csv'), csv(['u1,v1,watch,1,US,2026-11-30 10:00:00']));
    await writeFile(join(dir, 'one', 'b.csv'), csv(['u2,v1,watch,1,US,2026-11-30 10:00:00']));

    await expect(readEventsInput(join(dir, 'empty'))).rejects.toThrow(
      new InputInvalidError(`${join(dir, 'empty')} holds no .csv or .csv.gz files`),
    );
    await expect(readEventsInput(join(dir, 'one'))).rejects.toThrow(/all 2 events are on one video \(v1\)/);
  });

  it('reads a plain file as the one-file reader does', async () => {
    await writeFile(join(dir, 'events.csv'), csv(ROWS));

    const read = await readEventsInput(join(dir, 'events.csv'));

    expect(read).toEqual(await readEvents(join(dir, 'events.csv')));
  });
});

describe('Function: readVideosInput', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'input-videos-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('merges the parts of a directory; a video described twice keeps its first row and counts as bad', async () => {
    // Prepare
    const header = 'videoId,title,lengthSeconds,manualTags,likes,views,language';
    await writeFile(join(dir, 'part-0.csv'), `${header}\nv1,One,60,a|b,1,2,en\nv9,Unknown,1,,0,0,en\n`);
    await writeFile(join(dir, 'part-1.csv'), `${header}\nv2,Two,30,,3,4,de\nv1,Again,10,,0,0,fr\n`);

    // Act
    const videos = await readVideosInput(dir, ['v1', 'v2', 'v3'], { maxBadFraction: 0.5 });

    // Assess
    expect({ ...videos, sha256: videos.sha256.length }).toEqual({
      file: dir,
      metadata: [
        { title: 'One', lengthSeconds: 60, tags: ['a', 'b'], language: 'en', likes: 1, views: 2 },
        { title: 'Two', lengthSeconds: 30, language: 'de', likes: 3, views: 4 },
        null,
      ],
      matched: 2,
      unmatched: 1,
      bad: { rows: 4, count: 1, byReason: { 'duplicate-video': 1 }, examples: [] },
      sha256: 64,
    });
    await expect(readVideosInput(dir, ['v1', 'v2'], { maxBadFraction: 0.2 })).rejects.toThrow(
      /Too many bad rows/,
    );
  });
});

import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InputInvalidError } from '../../src/core/errors.js';
import { readVideos } from '../../training/read-videos.js';
import { writeParquet, writeText } from '../helpers/parquet.js';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`../fixtures/videos/${name}`, import.meta.url));
const original = fileURLToPath(new URL('../../data/original/videos.csv', import.meta.url));

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('Function: readVideos', () => {
  it('reads the original metadata aligned with the video ids, tags split on |, and keeps the others as cold videos', async () => {
    const videos = await readVideos(original, ['v005', 'v001']);

    expect(videos.cold.ids).toEqual(['v002', 'v003', 'v004']);
    expect(videos.cold.metadata[0]).toMatchObject({ title: expect.any(String), tags: expect.any(Array) });
    expect({ ...videos, cold: undefined }).toEqual({
      cold: undefined,
      file: original,
      metadata: [
        {
          title: 'Lo-fi Beats to Study To',
          lengthSeconds: 3600,
          tags: ['music', 'lofi', 'study'],
          language: 'en',
          likes: 0,
          views: 1,
        },
        {
          title: 'Intro to Machine Learning',
          lengthSeconds: 600,
          tags: ['education', 'machine-learning', 'beginner'],
          language: 'en',
          likes: 1,
          views: 2,
        },
      ],
      matched: 2,
      unmatched: 3,
      bad: { rows: 5, count: 0, byReason: {}, examples: [] },
      sha256: createHash('sha256').update(readFileSync(original)).digest('hex'),
    });
  });

  it('leaves videos without a row null, drops empty cells and tags, and keeps quoted commas', async () => {
    const videos = await readVideos(fixture('good.csv'), ['v1', 'v2', 'v3']);

    expect({ metadata: videos.metadata, matched: videos.matched, unmatched: videos.unmatched }).toEqual({
      metadata: [
        { title: 'Intro', lengthSeconds: 60.5, likes: 0, views: 10 },
        {
          title: 'Cooking, Fast',
          lengthSeconds: 300,
          tags: ['cooking', 'quick'],
          language: 'en',
          likes: 5,
          views: 100,
        },
        null,
      ],
      matched: 2,
      unmatched: 1,
    });
  });

  it('reports bad rows with their lines and keeps the first row of a repeated video', async () => {
    const videos = await readVideos(fixture('bad.csv'), ['v1', 'v2', 'v3', 'v4', 'v5'], {
      maxBadFraction: 1,
    });

    expect({ metadata: videos.metadata, bad: videos.bad }).toEqual({
      metadata: [
        { title: 'A', lengthSeconds: 60, tags: ['a'], language: 'en', likes: 1, views: 2 },
        null,
        null,
        null,
        { title: 'F', lengthSeconds: 60, tags: ['f'], language: 'en', likes: 1, views: 2 },
      ],
      bad: {
        rows: 7,
        count: 5,
        byReason: { 'bad-number': 2, 'duplicate-video': 1, 'column-count': 1, 'missing-video': 1 },
        examples: [
          {
            line: 3,
            reason: 'bad-number',
            message: 'lengthSeconds "ten" is not a non-negative number',
            text: 'v2,B,ten,b,1,2,en',
          },
          {
            line: 4,
            reason: 'duplicate-video',
            message: 'video v1 already described on line 2',
            text: 'v1,A again,60,a,1,2,en',
          },
          {
            line: 5,
            reason: 'bad-number',
            message: 'likes "1.5" is not a non-negative integer',
            text: 'v3,C,60,c,1.5,2,en',
          },
          { line: 6, reason: 'column-count', message: 'expected 7 columns, found 3', text: 'v4,D,60' },
          { line: 7, reason: 'missing-video', message: 'missing video id', text: ',E,60,e,1,2,en' },
        ],
      },
    });
  });

  it('stops above the bad-row threshold with InputInvalidError naming file and lines', async () => {
    const file = fixture('bad.csv');

    const error = await rejection(readVideos(file, ['v1'], { maxBadFraction: 0.5 }));

    expect(error).toBeInstanceOf(InputInvalidError);
    expect(error.message).toContain(`${file}: 5 of 7 rows bad (71.43%)`);
    expect(error.message).toContain('line 4: video v1 already described on line 2');
  });

  it('reads a file with only some of the columns and another tag separator', async () => {
    const videos = await readVideos(fixture('tags-only.csv'), ['v1', 'v2'], { tagSeparator: ';' });

    expect(videos.metadata).toEqual([{ tags: ['a', 'b'] }, { tags: ['c'] }]);
  });

  it('refuses a header without videoId', async () => {
    const error = await rejection(readVideos(fixture('no-id.csv'), ['v1']));

    expect(error).toBeInstanceOf(InputInvalidError);
    expect(error.message).toMatch(/no-id\.csv: header lacks column videoId \(line 1 has: id, title\)/);
  });

  it('reads a directory of a Parquet part (tags as a list) and a CSV part, with bad rows by place', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'read-videos-'));
    const parquet = join(dir, 'part-00000.snappy.parquet');
    writeParquet(parquet, {
      columns: [
        { name: 'videoId', data: ['v1', 'v2', 'v3'] },
        { name: 'title', data: ['One', null, 'Three'] },
        { name: 'manualTags', data: [['music', 'lofi'], [], ['x']] },
        { name: 'views', data: [10n, 20n, -1n] },
      ],
      schema: [
        { name: 'root', num_children: 4 },
        { name: 'videoId', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
        { name: 'title', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
        { name: 'manualTags', repetition_type: 'OPTIONAL', num_children: 1, converted_type: 'LIST' },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        { name: 'element', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
        { name: 'views', type: 'INT64', repetition_type: 'REQUIRED' },
      ],
    });
    const csv = join(dir, 'part-00001.csv');
    writeText(csv, 'videoId,title\nv4,Four\nv1,Again\n');

    // Act
    const videos = await readVideos(dir, ['v1', 'v2', 'v3', 'v4'], { maxBadFraction: 0.5 });
    rmSync(dir, { recursive: true, force: true });

    // Assess
    expect({
      metadata: videos.metadata,
      matched: videos.matched,
      bad: videos.bad.examples.map((e) => [e.file, e.rowGroup, e.line, e.message]),
    }).toEqual({
      metadata: [
        { title: 'One', tags: ['music', 'lofi'], views: 10 },
        { views: 20 },
        null,
        { title: 'Four' },
      ],
      matched: 3,
      bad: [
        [parquet, 0, 3, 'views "-1" is not a non-negative integer'],
        [csv, undefined, 3, 'video v1 already described on line 1'],
      ],
    });
  });
});

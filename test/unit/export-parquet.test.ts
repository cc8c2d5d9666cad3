import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigInvalidError } from '../../src/core/errors.js';
import { checkDatasetFree, datasetUri, openParquetDataset, partName } from '../../training/export-parquet.js';
import { readParquetMetadata, readParquetRows } from '../helpers/parquet.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'export-parquet-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const user = (userId: string, n: number) => ({
  userId,
  items: Array.from({ length: n }, (_, i) => ({ videoId: `v${i}`, score: 1 / (i + 1) })),
});

describe('Function: openParquetDataset', () => {
  it('closes rows into row groups of whole users; a user larger than a group gets one of its own', async () => {
    // Prepare
    const dataset = openParquetDataset({ dataset: join(work, 'groups'), rowGroupRows: 4 });

    // Act
    for (const u of [user('a', 3), user('b', 6), user('c', 1), user('d', 3)]) await dataset.write(u);
    const result = await dataset.close();

    // Assess
    const bytes = await readFile(join(work, 'groups', 'part-00000.parquet'));
    expect(readParquetMetadata(bytes).row_groups.map((g) => Number(g.num_rows))).toEqual([3, 6, 4]);
    const rows = await readParquetRows(bytes);
    expect(rows.map((r) => `${r.user_id}${r.rank}`).join(' ')).toBe('a1 a2 a3 b1 b2 b3 b4 b5 b6 c1 d1 d2 d3');
    expect(rows[4]).toEqual({ user_id: 'b', rank: 2, video_id: 'v1', score: 0.5 });
    expect(result).toMatchObject({ parts: 1, rows: 13, bytes: bytes.byteLength });
  });

  it('writes one empty part carrying the schema when there are no users', async () => {
    // Act
    const result = await openParquetDataset({ dataset: join(work, 'empty') }).close();

    // Assess
    expect((await readdir(join(work, 'empty'))).sort()).toEqual(['_SUCCESS', 'part-00000.parquet']);
    const metadata = readParquetMetadata(await readFile(join(work, 'empty', 'part-00000.parquet')));
    expect(Number(metadata.num_rows)).toBe(0);
    expect(metadata.schema.map((c) => c.name)).toEqual(['schema', 'user_id', 'rank', 'video_id', 'score']);
    expect(result).toMatchObject({ parts: 1, rows: 0 });
  });

  it('leaves no _SUCCESS and no part in progress when aborted', async () => {
    // Prepare
    const dataset = openParquetDataset({ dataset: join(work, 'aborted'), partUsers: 1, rowGroupRows: 1 });
    await dataset.write(user('a', 2));
    await dataset.write(user('b', 2));

    // Act
    await dataset.abort();

    // Assess
    expect(await readdir(join(work, 'aborted'))).toEqual(['part-00000.parquet']);
  });

  it('refuses part and row group sizes that are not positive integers', () => {
    expect(() => openParquetDataset({ dataset: work, partUsers: 0 })).toThrow(ConfigInvalidError);
    expect(() => openParquetDataset({ dataset: work, rowGroupRows: 2.5 })).toThrow(ConfigInvalidError);
  });
});

describe('Function: checkDatasetFree', () => {
  it('accepts a missing or empty directory and refuses one holding files', async () => {
    await expect(checkDatasetFree(join(work, 'nothing-here'))).resolves.toBeUndefined();
    await expect(checkDatasetFree(join(work, 'groups'))).rejects.toThrow(/already holds files/);
  });
});

describe('Function: datasetUri / partName', () => {
  it('names the data set under a directory or an S3 prefix, and the parts with five digits', () => {
    expect(datasetUri('s3://exports/recs/', 'r-k5')).toBe('s3://exports/recs/r-k5');
    expect(datasetUri('s3://exports', 'r-k5')).toBe('s3://exports/r-k5');
    expect(datasetUri('/tmp/out/', 'r-k5')).toBe('/tmp/out/r-k5');
    expect(partName(0)).toBe('part-00000.parquet');
    expect(partName(123)).toBe('part-00123.parquet');
  });
});

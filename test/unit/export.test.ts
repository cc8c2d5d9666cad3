import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigInvalidError, ModelNotLoadedError } from '../../src/core/errors.js';
import { publishModel } from '../../src/store/publish.js';
import { exportLine, exportOptionsFromArgs, exportRecommendations } from '../../training/export.js';
import { FIXTURE_VERSION, fixtureArtifact, fixtureRecommender } from '../helpers/fixture-model.js';
import { type ExportRow, readParquetMetadata, readParquetRows } from '../helpers/parquet.js';

let work: string;
let model: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'export-'));
  model = join(work, 'model');
  await publishModel(model, fixtureArtifact());
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const rec = fixtureRecommender();

describe('Function: exportRecommendations', () => {
  it("writes one line per user with the API's answer for that user, and reports progress", async () => {
    // Prepare
    const out = join(work, 'out');
    const progress: number[] = [];

    // Act
    const result = await exportRecommendations(
      { model, destination: out, k: 2 },
      { start: (users) => progress.push(-users), progress: (n) => progress.push(n) },
    );

    // Assess
    const name = `recommendations-${FIXTURE_VERSION}-k2.jsonl`;
    const lines = (await readFile(join(out, name), 'utf8')).trimEnd().split('\n');
    const parsed = lines.map((line) => JSON.parse(line) as { userId: string });
    expect(result).toMatchObject({ version: FIXTURE_VERSION, uri: join(out, name), users: 3 });
    expect(parsed.map((p) => p.userId).sort()).toEqual(['u001', 'u002', 'u003']);
    for (const line of parsed) {
      const expected = await rec.recommendForUser(line.userId, { k: 2 });
      expect(line).toEqual({ userId: line.userId, recommendations: expected.items });
    }
    expect(progress).toEqual([-3, 1, 1, 1]);
    expect(result.bytes).toBe(Buffer.byteLength(lines.join('\n')) + 1);
    expect(await readdir(out)).toEqual([name]);
  });

  it('compresses with gzip when asked, under the name given', async () => {
    // Act
    const result = await exportRecommendations({
      model,
      destination: join(work, 'gz'),
      k: 1,
      gzip: true,
      name: 'recs.jsonl.gz',
    });

    // Assess
    const text = gunzipSync(await readFile(result.uri)).toString('utf8');
    expect(result.uri).toBe(join(work, 'gz', 'recs.jsonl.gz'));
    expect(text.split('\n').filter((l) => l !== '')).toHaveLength(3);
    expect(text).toContain(exportLine({ userId: 'u001', items: [{ videoId: 'v004', score: 1.25 }] }));
  });

  it('creates nothing when no model is published at the source', async () => {
    const out = join(work, 'none');
    await expect(
      exportRecommendations({ model: join(work, 'empty'), destination: out, k: 3 }),
    ).rejects.toThrow(ModelNotLoadedError);
    expect(existsSync(out)).toBe(false);
  });
});

/** A JSON Lines export as the rows of the Parquet form, in file order. */
function jsonLinesAsRows(text: string): ExportRow[] {
  const lines = text.trimEnd().split('\n');
  return lines.flatMap((line) => {
    const { userId, recommendations } = JSON.parse(line) as {
      userId: string;
      recommendations: { videoId: string; score: number }[];
    };
    return recommendations.map((r, i) => ({
      user_id: userId,
      rank: i + 1,
      video_id: r.videoId,
      score: r.score,
    }));
  });
}

describe('Function: exportRecommendations (Parquet)', () => {
  it('writes the same users, ranks, videos and scores as JSON Lines, in bounded parts, _SUCCESS last', async () => {
    // Prepare: 3 users x k = 2; two users per part and 3 rows per row group (a group never splits a user).
    const jsonl = await exportRecommendations({ model, destination: join(work, 'same'), k: 2 });
    const progress: number[] = [];

    // Act
    const result = await exportRecommendations(
      { model, destination: join(work, 'same'), k: 2, format: 'parquet', partUsers: 2, rowGroupRows: 3 },
      { progress: (n) => progress.push(n) },
    );

    // Assess
    const dataset = join(work, 'same', `recommendations-${FIXTURE_VERSION}-k2`);
    expect(result).toMatchObject({ format: 'parquet', uri: dataset, users: 3, rows: 6, parts: 2 });
    expect((await readdir(dataset)).sort()).toEqual(['_SUCCESS', 'part-00000.parquet', 'part-00001.parquet']);
    const first = await readFile(join(dataset, 'part-00000.parquet'));
    const second = await readFile(join(dataset, 'part-00001.parquet'));
    const rows = [...(await readParquetRows(first)), ...(await readParquetRows(second))];
    expect(rows).toEqual(jsonLinesAsRows(await readFile(jsonl.uri, 'utf8')));
    expect(readParquetMetadata(first).row_groups.map((g) => Number(g.num_rows))).toEqual([2, 2]);
    expect(readParquetMetadata(second).row_groups.map((g) => Number(g.num_rows))).toEqual([2]);
    expect(result.bytes).toBe(first.byteLength + second.byteLength);
    expect(await readFile(join(dataset, '_SUCCESS'))).toHaveLength(0);
    expect(progress).toEqual([1, 1, 1]);
  });

  it('types the columns for a data team: user_id and video_id strings, rank int32, score double', async () => {
    // Act
    const result = await exportRecommendations({
      model,
      destination: join(work, 'types'),
      k: 3,
      format: 'parquet',
      name: 'recs',
    });

    // Assess
    const metadata = readParquetMetadata(await readFile(join(result.uri, 'part-00000.parquet')));
    const columns = metadata.schema
      .slice(1)
      .map((c) => [c.name, c.type, c.converted_type, c.repetition_type]);
    expect(columns).toEqual([
      ['user_id', 'BYTE_ARRAY', 'UTF8', 'REQUIRED'],
      ['rank', 'INT32', undefined, 'REQUIRED'],
      ['video_id', 'BYTE_ARRAY', 'UTF8', 'REQUIRED'],
      ['score', 'DOUBLE', undefined, 'REQUIRED'],
    ]);
    expect(metadata.key_value_metadata).toContainEqual({ key: 'model.version', value: FIXTURE_VERSION });
    expect(result.uri).toBe(join(work, 'types', 'recs'));
  });

  it('refuses a data set location that already holds files, and writes nothing there', async () => {
    // Prepare
    const options = { model, destination: join(work, 'twice'), k: 1, format: 'parquet' as const };
    const first = await exportRecommendations(options);
    const before = await readFile(join(first.uri, 'part-00000.parquet'));

    // Act
    const failure = await exportRecommendations({ ...options, partUsers: 1 }).catch((e: unknown) => e);

    // Assess
    expect(failure).toBeInstanceOf(ConfigInvalidError);
    expect(String(failure)).toContain('already holds files');
    expect((await readdir(first.uri)).sort()).toEqual(['_SUCCESS', 'part-00000.parquet']);
    expect(await readFile(join(first.uri, 'part-00000.parquet'))).toEqual(before);
  });

  it.each([
    [{ format: 'parquet' as const, gzip: true }, '--gzip is for JSON Lines only'],
    [{ partUsers: 10 }, '--format parquet only'],
    [{ rowGroupRows: 10 }, '--format parquet only'],
  ])('refuses %o before reading the model', async (extra, message) => {
    // Act
    const failure = exportRecommendations({
      model: join(work, 'missing'),
      destination: join(work, 'bad'),
      k: 1,
      ...extra,
    });

    // Assess
    await expect(failure).rejects.toThrow(ConfigInvalidError);
    await expect(failure).rejects.toThrow(message);
    expect(existsSync(join(work, 'bad'))).toBe(false);
  });
});

describe('Function: exportOptionsFromArgs', () => {
  const base = ['node', 'export.ts', '--out', 'exports'];

  it('reads the Parquet options', () => {
    // Act
    const options = exportOptionsFromArgs([
      ...base,
      '--format',
      'parquet',
      '--part-users',
      '500',
      '--row-group-rows',
      '2000',
    ]);

    // Assess
    expect(options).toMatchObject({
      format: 'parquet',
      partUsers: 500,
      rowGroupRows: 2000,
      k: 10,
      quiet: false,
    });
  });

  it.each([
    [['--format', 'parquet', '--gzip'], '--gzip is for JSON Lines only'],
    [['--format', 'csv'], '--format must be one of jsonl, parquet'],
    [['--part-users', '10'], '--format parquet only'],
    [['--format', 'parquet', '--part-users', '0'], '--part-users must be a positive integer'],
    [['--format', 'parquet', '--row-group-rows', '1.5'], '--row-group-rows must be a positive integer'],
  ])('refuses %o as a usage error', (args, message) => {
    // Act
    const parse = () => exportOptionsFromArgs([...base, ...args]);

    // Assess
    expect(parse).toThrow(ConfigInvalidError);
    expect(parse).toThrow(message);
  });
});

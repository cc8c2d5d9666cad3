import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { InputInvalidError } from '../../src/core/errors.js';
import {
  digestOfParts,
  formatOfBytes,
  formatOfName,
  isHidden,
  listInputParts,
  partitionsOf,
} from '../../training/input-parts.js';
import { parquetBytes, writeText } from '../helpers/parquet.js';

const scratch = mkdtempSync(join(tmpdir(), 'input-parts-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

const tinyParquet = parquetBytes({ columns: [{ name: 'userId', data: ['u1'], type: 'STRING' }] });

describe('Function: listInputParts', () => {
  it('lists a directory recursively in path order, skipping hidden files, with formats and partitions', async () => {
    // Prepare
    const root = join(scratch, 'lake');
    writeText(join(root, 'dt=2026-11-30', 'type=like', 'part-00001.snappy.parquet'), tinyParquet);
    writeText(join(root, 'dt=2026-11-30', 'type=like', 'part-00000.csv.gz'), gzipSync('a\n'));
    writeText(join(root, 'dt=2026-12-01', 'part-00000'), tinyParquet);
    writeText(join(root, 'dt=2026-12-01', 'part-00001'), gzipSync('a\n'));
    writeText(join(root, 'dt=2026-12-01', 'part-00002'), 'userId\nu1\n');
    writeText(join(root, 'dt=2026-12-01', '.part-00000.crc'), 'x');
    writeText(join(root, '_SUCCESS'), '');
    writeText(join(root, '_temporary', '0', 'part-9.csv'), 'x');

    // Act
    const parts = await listInputParts(root);

    // Assess
    expect(parts.map((p) => [p.relative, p.format, p.partitions, p.name === join(root, p.relative)])).toEqual(
      [
        [
          'dt=2026-11-30/type=like/part-00000.csv.gz',
          'csv.gz',
          [
            ['dt', '2026-11-30'],
            ['type', 'like'],
          ],
          true,
        ],
        [
          'dt=2026-11-30/type=like/part-00001.snappy.parquet',
          'parquet',
          [
            ['dt', '2026-11-30'],
            ['type', 'like'],
          ],
          true,
        ],
        ['dt=2026-12-01/part-00000', 'parquet', [['dt', '2026-12-01']], true],
        ['dt=2026-12-01/part-00001', 'csv.gz', [['dt', '2026-12-01']], true],
        ['dt=2026-12-01/part-00002', 'csv', [['dt', '2026-12-01']], true],
      ],
    );
  });

  it('reads a named file as CSV whatever its name, with ranged and streamed access to its bytes', async () => {
    // Prepare
    const file = join(scratch, 'u.data');
    writeText(file, '196\t242\t3\n');

    // Act
    const [part] = await listInputParts(file);
    const bytes = await part!.open();
    const range = await bytes.read(4, 7);
    const chunks: Uint8Array[] = [];
    for await (const chunk of bytes.chunks()) chunks.push(chunk);
    await bytes.close();

    // Assess
    expect({
      relative: part?.relative,
      format: part?.format,
      size: part?.size,
      partitions: part?.partitions,
      range: Buffer.from(range).toString(),
      whole: Buffer.concat(chunks).toString(),
    }).toEqual({
      relative: 'u.data',
      format: 'csv',
      size: 10,
      partitions: [],
      range: '242',
      whole: '196\t242\t3\n',
    });
  });

  it('refuses a missing path, a read past the end, and a directory with only hidden files', async () => {
    // Prepare
    const empty = join(scratch, 'empty');
    mkdirSync(join(empty, '_temporary'), { recursive: true });
    writeText(join(empty, '_SUCCESS'), '');
    const short = join(scratch, 'short.csv');
    writeText(short, 'abc');
    const [part] = await listInputParts(short);
    const bytes = await part!.open();

    // Act
    const errors = await Promise.all([
      rejection(listInputParts(join(scratch, 'nope'))),
      rejection(listInputParts(empty)),
      rejection(bytes.read(0, 10)),
    ]);
    await bytes.close();

    // Assess
    expect(errors.every((e) => e instanceof InputInvalidError)).toBe(true);
    expect(errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/^Cannot read .*nope: ENOENT/),
      `${empty} holds no part files (names starting with _ or . are skipped, as Hadoop does)`,
      `${short} is shorter than byte 10`,
    ]);
  });
});

describe('Function: partitionsOf', () => {
  it('reads key=value folders only, unescapes %XX and maps Hive null to empty', () => {
    expect(partitionsOf('dt=2026-11-30/hour=10%3A00/kind=__HIVE_DEFAULT_PARTITION__/x/part-0.csv')).toEqual([
      ['dt', '2026-11-30'],
      ['hour', '10:00'],
      ['kind', ''],
    ]);
    expect(partitionsOf('=x/part.csv')).toEqual([]);
  });
});

describe('Function: formatOfName / formatOfBytes / isHidden', () => {
  it('tells formats by name, then by magic bytes, and Hadoop-hidden paths', () => {
    expect(
      ['a.parquet', 'A.PARQ', 'b.csv.gz', 'c.gz', 'd.tsv', 'e.data', 'part-00000'].map(formatOfName),
    ).toEqual(['parquet', 'parquet', 'csv.gz', 'csv.gz', 'csv', 'csv', undefined]);
    expect(
      [Buffer.from('PAR1'), Buffer.from([0x1f, 0x8b]), Buffer.from('PA'), Buffer.from('')].map((b) =>
        formatOfBytes(new Uint8Array(b)),
      ),
    ).toEqual(['parquet', 'csv.gz', 'csv', 'csv']);
    expect(['a/_SUCCESS', '.x/p.csv', 'dt=1/p.csv', 'a_b/c.csv'].map(isHidden)).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });
});

describe('Function: digestOfParts', () => {
  it('keeps a single part digest and combines several by path and digest', () => {
    const one = digestOfParts([{ relative: 'a.csv', read: { sha256: 'aa' } }]);
    const two = digestOfParts([
      { relative: 'a.csv', read: { sha256: 'aa' } },
      { relative: 'b.csv', read: { sha256: 'bb' } },
    ]);
    const renamed = digestOfParts([
      { relative: 'a.csv', read: { sha256: 'aa' } },
      { relative: 'c.csv', read: { sha256: 'bb' } },
    ]);

    expect(one).toBe('aa');
    expect(two).toMatch(/^[0-9a-f]{64}$/);
    expect(renamed).not.toBe(two);
  });
});

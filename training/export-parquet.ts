/**
 * The Parquet form of a batch export: a data set directory (a local directory or `s3://bucket/prefix/`)
 * of part files `part-00000.parquet`, `part-00001.parquet`, ... in long format, one row per
 * recommendation (`user_id` string, `rank` int32 from 1, `video_id` string, `score` double), then an
 * empty `_SUCCESS` written last, as Spark does: a reader that finds `_SUCCESS` knows every part is there.
 *
 * Streamed: rows are gathered into one row group at a time (at most `rowGroupRows` rows, whole users),
 * encoded by hyparquet-writer and sent to the part's output as soon as it is encoded; a part holds at
 * most `partUsers` users. Memory stays at one row group and its encoded bytes whatever the number of
 * users; each part goes out through {@link openOutput} (a temporary file renamed when complete, or an S3
 * upload: one PutObject for a part smaller than the multipart part size, else a multipart upload).
 * @module
 */
import { readdir } from 'node:fs/promises';
import { ByteWriter, ParquetWriter, type SchemaElement } from 'hyparquet-writer';
import { ConfigInvalidError } from '../src/core/errors.js';
import type { UserRecommendations } from '../src/recommender/index.js';
import {
  createS3Client,
  listObjects,
  type Output,
  type OutputOptions,
  openOutput,
  parseModelUri,
  s3Key,
} from '../src/store/index.js';

/** Users per part file unless told otherwise. */
export const DEFAULT_PART_USERS = 100_000;
/** Rows per row group unless told otherwise (whole users; a group never splits a user). */
export const DEFAULT_ROW_GROUP_ROWS = 250_000;
/** The marker written after the last part. */
export const SUCCESS_MARKER = '_SUCCESS';

/** The schema of every part: long format, every column required. */
export const EXPORT_SCHEMA: readonly SchemaElement[] = [
  { name: 'schema', num_children: 4 },
  {
    name: 'user_id',
    type: 'BYTE_ARRAY',
    converted_type: 'UTF8',
    logical_type: { type: 'STRING' },
    repetition_type: 'REQUIRED',
  },
  { name: 'rank', type: 'INT32', repetition_type: 'REQUIRED' },
  {
    name: 'video_id',
    type: 'BYTE_ARRAY',
    converted_type: 'UTF8',
    logical_type: { type: 'STRING' },
    repetition_type: 'REQUIRED',
  },
  { name: 'score', type: 'DOUBLE', repetition_type: 'REQUIRED' },
];

/** Where and how to write the part files. */
export interface ParquetDatasetOptions {
  /** the data set: a directory or `s3://bucket/prefix` (the parts go directly under it) */
  dataset: string;
  /** users per part file; default {@link DEFAULT_PART_USERS} */
  partUsers?: number | undefined;
  /** rows per row group; default {@link DEFAULT_ROW_GROUP_ROWS} */
  rowGroupRows?: number | undefined;
  /** key/value metadata stored in every part's footer */
  metadata?: Record<string, string> | undefined;
  output?: OutputOptions | undefined;
}

/** A data set being written: hand it users in order, then close (or abort on failure). */
export interface ParquetDataset {
  readonly uri: string;
  write(user: UserRecommendations): Promise<void>;
  /** finishes the last part and writes `_SUCCESS` */
  close(): Promise<{ uri: string; bytes: number; parts: number; rows: number }>;
  /** drops the part being written; parts already complete stay, without `_SUCCESS` */
  abort(): Promise<void>;
}

/** The name of part `n`. */
export function partName(n: number): string {
  return `part-${String(n).padStart(5, '0')}.parquet`;
}

/**
 * The data set `name` under `destination` (`dir/name` or `s3://bucket/prefix/name`).
 * @example
 * datasetUri('s3://exports/recs/', 'recommendations-v1-k50'); // 's3://exports/recs/recommendations-v1-k50'
 */
export function datasetUri(destination: string, name: string): string {
  const location = parseModelUri(destination);
  if (location.kind === 'local') return `${location.dir.replace(/\/+$/, '')}/${name}`;
  return `s3://${location.bucket}/${s3Key(location.prefix, name)}`;
}

/**
 * Refuses a data set location that already holds files: parts of an earlier export left beside the new
 * ones would be read as part of it.
 * @throws ConfigInvalidError naming the location
 */
export async function checkDatasetFree(dataset: string, output: OutputOptions = {}): Promise<void> {
  const location = parseModelUri(dataset);
  let taken: boolean;
  if (location.kind === 'local') {
    taken = await readdir(location.dir).then(
      (names) => names.length > 0,
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return false;
        throw error;
      },
    );
  } else {
    const client = output.s3 ?? createS3Client({ forcePathStyle: output.forcePathStyle });
    try {
      taken = (await listObjects({ client }, location.bucket, `${location.prefix}/`)).length > 0;
    } finally {
      if (!output.s3) client.destroy();
    }
  }
  if (taken)
    throw new ConfigInvalidError(
      `${location.uri} already holds files: remove them or choose another --name for the Parquet data set`,
    );
}

/**
 * A hyparquet-writer `Writer` that hands each encoded row group to an {@link Output} instead of
 * keeping the file in memory (the writer calls `flush` after every row group and awaits it).
 */
class OutputWriter extends ByteWriter {
  constructor(private readonly out: Output) {
    super(1 << 20);
  }

  flush(): Promise<void> {
    const chunk = this.getBytes().slice();
    this.index = 0;
    return this.out.write(chunk);
  }

  override finish(): Promise<void> {
    return this.flush();
  }
}

/** One row group's columns, filled user by user. */
class RowGroup {
  users: string[] = [];
  ranks: Int32Array;
  videos: string[] = [];
  scores: Float64Array;
  rows = 0;

  constructor(readonly capacity: number) {
    this.ranks = new Int32Array(capacity);
    this.scores = new Float64Array(capacity);
  }

  fits(user: UserRecommendations): boolean {
    return this.rows === 0 || this.rows + user.items.length <= this.capacity;
  }

  add(user: UserRecommendations): void {
    if (this.rows + user.items.length > this.capacity) this.grow(this.rows + user.items.length);
    user.items.forEach((item, i) => {
      this.users.push(user.userId);
      this.ranks[this.rows] = i + 1;
      this.videos.push(item.videoId);
      this.scores[this.rows] = item.score;
      this.rows++;
    });
  }

  /** A user with more recommendations than a row group holds gets a group of its own. */
  private grow(rows: number): void {
    const ranks = new Int32Array(rows);
    ranks.set(this.ranks.subarray(0, this.rows));
    const scores = new Float64Array(rows);
    scores.set(this.scores.subarray(0, this.rows));
    this.ranks = ranks;
    this.scores = scores;
  }

  columns(): { name: string; data: string[] | Int32Array | Float64Array }[] {
    return [
      { name: 'user_id', data: this.users },
      { name: 'rank', data: this.ranks.subarray(0, this.rows) },
      { name: 'video_id', data: this.videos },
      { name: 'score', data: this.scores.subarray(0, this.rows) },
    ];
  }

  clear(): void {
    this.users = [];
    this.videos = [];
    this.rows = 0;
  }
}

interface OpenPart {
  out: Output;
  writer: ParquetWriter;
  users: number;
}

function positive(value: number | undefined, fallback: number, label: string): number {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < 1) throw new ConfigInvalidError(`${label} must be a positive integer`);
  return n;
}

/**
 * Opens a Parquet data set for streaming writes. The location should be free (see {@link checkDatasetFree}).
 * @example
 * const dataset = openParquetDataset({ dataset: 's3://exports/recs/recommendations-v1-k50' });
 * await dataset.write({ userId: 'u001', items: [{ videoId: 'v004', score: 1.25 }] });
 * await dataset.close(); // part-00000.parquet, then _SUCCESS
 */
export function openParquetDataset(options: ParquetDatasetOptions): ParquetDataset {
  const partUsers = positive(options.partUsers, DEFAULT_PART_USERS, '--part-users');
  const group = new RowGroup(positive(options.rowGroupRows, DEFAULT_ROW_GROUP_ROWS, '--row-group-rows'));
  const kvMetadata = Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value }));
  const uri = parseModelUri(options.dataset).uri;
  let part: OpenPart | undefined;
  let parts = 0;
  let rows = 0;
  let bytes = 0;

  const openPart = (): OpenPart => {
    const out = openOutput(uri, partName(parts++), {
      ...options.output,
      contentType: 'application/vnd.apache.parquet',
    });
    const writer = new ParquetWriter({
      writer: new OutputWriter(out),
      schema: [...EXPORT_SCHEMA],
      kvMetadata,
      createdBy: 'video-recommender export (hyparquet-writer)',
    });
    return { out, writer, users: 0 };
  };
  const flushGroup = async (current: OpenPart): Promise<void> => {
    if (group.rows === 0) return;
    rows += group.rows;
    await current.writer.write({ columnData: group.columns(), rowGroupSize: group.rows });
    group.clear();
  };
  const closePart = async (current: OpenPart): Promise<void> => {
    await flushGroup(current);
    await current.writer.finish();
    part = undefined;
    bytes += (await current.out.close()).bytes;
  };

  return {
    uri,
    async write(user) {
      if (part && part.users >= partUsers) await closePart(part);
      part ??= openPart();
      if (!group.fits(user)) await flushGroup(part);
      group.add(user);
      part.users++;
    },
    async close() {
      // No users still makes one (empty) part, so the data set carries its schema.
      await closePart(part ?? openPart());
      const marker = openOutput(uri, SUCCESS_MARKER, { ...options.output, contentType: 'text/plain' });
      await marker.close();
      return { uri, bytes, parts, rows };
    },
    async abort() {
      await part?.out.abort();
      part = undefined;
    },
  };
}

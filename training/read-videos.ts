/**
 * Reading the optional video metadata file
 * (`videoId,title,lengthSeconds,manualTags,likes,views,language`, tags separated by `|`), streamed,
 * into entries aligned with the model's video ids. Like the events, it may be a directory or an `s3://`
 * prefix of CSV, CSV.gz or Parquet parts (a Parquet `manualTags` may be a list of strings).
 * @module
 */

import { InputInvalidError } from '../src/core/errors.js';
import type { VideoMeta } from '../src/core/model-data.js';
import {
  type BadRowReport,
  type BadRowTracker,
  checkBadRows,
  createBadRowTracker,
  DEFAULT_MAX_BAD_FRACTION,
  DEFAULT_MAX_EXAMPLES,
  type Rejection,
  type RowPlace,
} from './bad-rows.js';
import { streamCsv } from './csv-stream.js';
import { type PartRead, parseDecimal } from './event-sink.js';
import { digestOfParts, type InputOptions, type InputPart, listInputParts } from './input-parts.js';
import { openParquet } from './parquet-file.js';

/** Separator of the tags inside the `manualTags` cell. */
export const TAG_SEPARATOR = '|';

/** The columns read; all but `videoId` may be missing from the header, and others are ignored. */
export const VIDEO_COLUMNS = [
  'videoId',
  'title',
  'lengthSeconds',
  'manualTags',
  'likes',
  'views',
  'language',
] as const;

export interface ReadVideosOptions {
  /** Field delimiter. Default `,`. */
  delimiter?: string;
  /** Separator inside `manualTags`. Default `|`. */
  tagSeparator?: string;
  /** Stop when more than this fraction of the rows is bad (0..1). Default 0.01. */
  maxBadFraction?: number;
  /** Bad rows kept with line numbers in the report. Default 10. */
  maxExamples?: number;
  /** S3 client for an `s3://` input (default: the store's standard client). */
  s3Client?: InputOptions['s3Client'];
  forcePathStyle?: boolean | undefined;
}

/** Metadata aligned with the model's videos, and what was left out. */
export interface VideosRead {
  file: string;
  /** `metadata[i]` describes `videoIds[i]`; null when the file has no row for it. */
  metadata: (VideoMeta | null)[];
  /** Model videos that got a row. */
  matched: number;
  /** Valid rows for videos the model does not know (no interactions). */
  unmatched: number;
  /** Those videos (input order) with their metadata: served similar videos by metadata. */
  cold: { ids: string[]; metadata: VideoMeta[] };
  bad: BadRowReport;
  /** sha256 (hex) of the file's bytes (several parts: see {@link digestOfParts}). */
  sha256: string;
}

type Column = (typeof VIDEO_COLUMNS)[number];
type Positions = Partial<Record<Column, number>> & { videoId: number; width: number };

function positions(file: string, header: readonly string[]): Positions {
  const videoId = header.indexOf('videoId');
  if (videoId < 0) {
    throw new InputInvalidError(`${file}: header lacks column videoId (line 1 has: ${header.join(', ')})`);
  }
  const found: Positions = { videoId, width: header.length };
  for (const name of VIDEO_COLUMNS) {
    const at = header.indexOf(name);
    if (at >= 0) found[name] = at;
  }
  return found;
}

/** Metadata collected so far and the rule a row is read by. */
class VideoRows {
  readonly metadata: (VideoMeta | null)[];
  matched = 0;
  unmatched = 0;
  readonly cold: VideosRead['cold'] = { ids: [], metadata: [] };
  private readonly index: Map<string, number>;
  private readonly firstLine = new Map<string, number>();

  constructor(
    videoIds: readonly string[],
    private readonly separator: string,
  ) {
    this.index = new Map(videoIds.map((id, i) => [id, i]));
    this.metadata = videoIds.map(() => null);
  }

  /** Keeps one row's metadata, or says why it is bad. */
  accept(f: readonly string[], line: number, c: Positions): Rejection | undefined {
    if (f.length !== c.width) return ['column-count', `expected ${c.width} columns, found ${f.length}`];
    const id = f[c.videoId] as string;
    if (id === '') return ['missing-video', 'missing video id'];
    const seenAt = this.firstLine.get(id);
    if (seenAt !== undefined) return ['duplicate-video', `video ${id} already described on line ${seenAt}`];
    const cell = (name: Column): string => (c[name] === undefined ? '' : (f[c[name]] as string));
    const numbers: Partial<Record<'lengthSeconds' | 'likes' | 'views', number>> = {};
    for (const name of ['lengthSeconds', 'likes', 'views'] as const) {
      const text = cell(name);
      if (text === '') continue;
      const value = parseDecimal(text);
      const whole = name !== 'lengthSeconds';
      if (value === undefined || value < 0 || (whole && !Number.isInteger(value))) {
        return ['bad-number', `${name} "${text}" is not a non-negative ${whole ? 'integer' : 'number'}`];
      }
      numbers[name] = value;
    }
    const tags = cell('manualTags')
      .split(this.separator)
      .map((t) => t.trim())
      .filter((t) => t !== '');
    // A fixed key order keeps the metadata JSON stable from run to run.
    const meta: VideoMeta = {};
    if (cell('title') !== '') meta.title = cell('title');
    if (numbers.lengthSeconds !== undefined) meta.lengthSeconds = numbers.lengthSeconds;
    if (tags.length > 0) meta.tags = tags;
    if (cell('language') !== '') meta.language = cell('language');
    if (numbers.likes !== undefined) meta.likes = numbers.likes;
    if (numbers.views !== undefined) meta.views = numbers.views;
    this.firstLine.set(id, line);
    const at = this.index.get(id);
    if (at === undefined) {
      this.unmatched++;
      this.cold.ids.push(id);
      this.cold.metadata.push(meta);
    } else {
      this.metadata[at] = meta;
      this.matched++;
    }
    return undefined;
  }
}

async function readCsvVideos(
  part: InputPart,
  delimiter: string,
  videos: VideoRows,
  bad: BadRowTracker,
  place: RowPlace | undefined,
): Promise<PartRead> {
  let columns: Positions | undefined;
  let rows = 0;
  const bytes = await part.open();
  try {
    const source = { name: part.name, gzip: part.format === 'csv.gz', chunks: () => bytes.chunks() };
    const digest = await streamCsv(source, delimiter, {
      record(fields, line): void {
        if (columns === undefined) {
          columns = positions(part.name, fields);
          return;
        }
        rows++;
        const rejected = videos.accept(fields, line, columns);
        if (rejected !== undefined) bad.add(line, rejected[0], rejected[1], fields.join(delimiter), place);
      },
      parseError(line, message): void {
        rows++;
        bad.add(line, 'parse-error', message, '', place);
      },
    });
    return { rows, sha256: digest.sha256, bytes: digest.bytes };
  } finally {
    await bytes.close();
  }
}

/** A Parquet cell as the CSV text it stands for: lists joined by the tag separator, null as empty. */
function cellText(v: unknown, separator: string): string {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return v.map((x) => cellText(x, separator)).join(separator);
  return String(v);
}

async function readParquetVideos(
  part: InputPart,
  separator: string,
  videos: VideoRows,
  bad: BadRowTracker,
  place: RowPlace | undefined,
): Promise<PartRead> {
  const pq = await openParquet(part);
  try {
    const columns = positions(part.name, pq.names);
    const wanted = VIDEO_COLUMNS.filter((name) => columns[name] !== undefined);
    let rows = 0;
    for (let index = 0; index < pq.groupRows.length; index++) {
      const group = await pq.readGroup(index, wanted);
      const cells = wanted.map((name) => [columns[name] as number, group.cells.get(name)] as const);
      for (let i = 0; i < group.rows; i++) {
        const fields = new Array<string>(pq.names.length).fill('');
        for (const [at, column] of cells) fields[at] = cellText(column?.[i], separator);
        const rejected = videos.accept(fields, group.start + i + 1, columns);
        if (rejected !== undefined) {
          const text = fields.filter((f) => f !== '').join(',');
          bad.add(group.start + i + 1, rejected[0], rejected[1], text, { ...place, rowGroup: index });
        }
      }
      rows += group.rows;
    }
    return { rows, sha256: pq.digest(), bytes: part.size };
  } finally {
    await pq.close();
  }
}

/**
 * Streams a video metadata input and lines its rows up with `videoIds`.
 * @param file - A CSV file (a `.gz` name is decompressed on the fly), a directory or an `s3://` prefix
 *   of CSV, CSV.gz or Parquet parts.
 * @param videoIds - The model's video ids; the result is aligned with them.
 * @param options - Delimiter, tag separator, bad-row tolerance and the S3 client.
 * @throws InputInvalidError when the input is unreadable, lacks a `videoId` column, or has more bad rows
 *   than allowed (non-numeric lengths or counts, wrong column count, repeated video ids).
 * @example
 * const videos = await readVideos('data/sample/videos.csv', interactions.videoIds);
 * videos.metadata[0]?.tags; // ['music', 'lofi']
 */
export async function readVideos(
  file: string,
  videoIds: readonly string[],
  options: ReadVideosOptions = {},
): Promise<VideosRead> {
  const delimiter = options.delimiter ?? ',';
  const separator = options.tagSeparator ?? TAG_SEPARATOR;
  const videos = new VideoRows(videoIds, separator);
  const bad = createBadRowTracker(options.maxExamples ?? DEFAULT_MAX_EXAMPLES);
  const parts = await listInputParts(file, options);
  const reads: { relative: string; read: PartRead }[] = [];
  for (const part of parts) {
    const place = parts.length > 1 || part.name !== file ? { file: part.name } : undefined;
    const read =
      part.format === 'parquet'
        ? await readParquetVideos(part, separator, videos, bad, place)
        : await readCsvVideos(part, delimiter, videos, bad, place);
    reads.push({ relative: part.relative, read });
  }
  const report = bad.report(reads.reduce((sum, r) => sum + r.read.rows, 0));
  checkBadRows(file, report, options.maxBadFraction ?? DEFAULT_MAX_BAD_FRACTION);
  const { metadata, matched, unmatched, cold } = videos;
  return { file, metadata, matched, unmatched, cold, bad: report, sha256: digestOfParts(reads) };
}

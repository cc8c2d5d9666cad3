/**
 * Reading the optional video metadata file
 * (`videoId,title,lengthSeconds,manualTags,likes,views,language`, tags separated by `|`), streamed,
 * into entries aligned with the model's video ids.
 * @module
 */

import { InputInvalidError } from '../src/core/errors.js';
import type { VideoMeta } from '../src/core/model-data.js';
import {
  type BadRowReport,
  checkBadRows,
  createBadRowTracker,
  DEFAULT_MAX_BAD_FRACTION,
  DEFAULT_MAX_EXAMPLES,
  type Rejection,
} from './bad-rows.js';
import { streamCsv } from './csv-stream.js';
import { parseDecimal } from './read-events.js';

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
  /** Those videos (file order) with their metadata: served similar videos by metadata. */
  cold: { ids: string[]; metadata: VideoMeta[] };
  bad: BadRowReport;
  /** sha256 (hex) of the file's bytes. */
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

/**
 * Streams a video metadata file and lines its rows up with `videoIds`.
 * @param file - Path of the CSV (a `.gz` name is decompressed on the fly).
 * @param videoIds - The model's video ids; the result is aligned with them.
 * @param options - Delimiter, tag separator and bad-row tolerance.
 * @throws InputInvalidError when the file is unreadable, lacks a `videoId` column, or has more bad rows
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
  const index = new Map(videoIds.map((id, i) => [id, i]));
  const metadata: (VideoMeta | null)[] = videoIds.map(() => null);
  const firstLine = new Map<string, number>();
  const bad = createBadRowTracker(options.maxExamples ?? DEFAULT_MAX_EXAMPLES);
  let columns: Positions | undefined;
  let rows = 0;
  let matched = 0;
  let unmatched = 0;
  const cold: VideosRead['cold'] = { ids: [], metadata: [] };

  const accept = (f: string[], line: number, c: Positions): Rejection | undefined => {
    if (f.length !== c.width) return ['column-count', `expected ${c.width} columns, found ${f.length}`];
    const id = f[c.videoId] as string;
    if (id === '') return ['missing-video', 'missing video id'];
    const seenAt = firstLine.get(id);
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
      .split(separator)
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
    firstLine.set(id, line);
    const at = index.get(id);
    if (at === undefined) {
      unmatched++;
      cold.ids.push(id);
      cold.metadata.push(meta);
    } else {
      metadata[at] = meta;
      matched++;
    }
    return undefined;
  };

  const { sha256 } = await streamCsv(file, delimiter, {
    record(fields, line): void {
      if (columns === undefined) {
        columns = positions(file, fields);
        return;
      }
      rows++;
      const rejected = accept(fields, line, columns);
      if (rejected !== undefined) bad.add(line, rejected[0], rejected[1], fields.join(delimiter));
    },
    parseError(line, message): void {
      rows++;
      bad.add(line, 'parse-error', message, '');
    },
  });
  const report = bad.report(rows);
  checkBadRows(file, report, options.maxBadFraction ?? DEFAULT_MAX_BAD_FRACTION);
  return { file, metadata, matched, unmatched, cold, bad: report, sha256 };
}

/**
 * `--interactions` and `--videos` given as a directory of part files (a SageMaker channel, a Spark or
 * Firehose output folder): every `.csv` and `.csv.gz` file below it, in name order, read through the
 * one-file readers and merged as if they were one file. Bad rows are counted over all parts (an
 * example names its part file), and the input digest covers every part's name and sha256.
 * A plain file goes straight to the one-file reader.
 * @module
 */
import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { InputInvalidError } from '../src/core/errors.js';
import type { VideoMeta } from '../src/core/model-data.js';
import {
  type BadRowReport,
  checkBadRows,
  DEFAULT_MAX_BAD_FRACTION,
  DEFAULT_MAX_EXAMPLES,
} from './bad-rows.js';
import { checkEnoughEvents, type EventsRead, type ReadEventsOptions, readEvents } from './read-events.js';
import { type ReadVideosOptions, readVideos, type VideosRead } from './read-videos.js';

const PART = /\.csv(\.gz)?$/i;

/**
 * The part files of a directory: `.csv` and `.csv.gz` at any depth (Hive-style `dt=.../` folders
 * included), in name order of their path below `dir`. Hidden files (`.crc`, `_SUCCESS`) are skipped.
 * @throws InputInvalidError when there is none
 */
export async function partFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile() && PART.test(e.name) && !e.name.startsWith('.') && !e.name.startsWith('_'))
    .map((e) => join(e.parentPath, e.name))
    .sort((a, b) => {
      const x = relative(dir, a);
      const y = relative(dir, b);
      return x < y ? -1 : x > y ? 1 : 0;
    });
  if (files.length === 0) throw new InputInvalidError(`${dir} holds no .csv or .csv.gz files`);
  return files;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    // A missing path is the one-file reader's to report.
    return false;
  }
}

/** The bad-row reports of several parts as one; examples keep their line and name their part. */
function mergeBadRows(dir: string, parts: readonly { file: string; bad: BadRowReport }[]): BadRowReport {
  const merged: BadRowReport = { rows: 0, count: 0, byReason: {}, examples: [] };
  for (const { file, bad } of parts) {
    merged.rows += bad.rows;
    merged.count += bad.count;
    for (const [reason, n] of Object.entries(bad.byReason) as [keyof BadRowReport['byReason'], number][]) {
      merged.byReason[reason] = (merged.byReason[reason] ?? 0) + n;
    }
    for (const e of bad.examples) {
      if (merged.examples.length < DEFAULT_MAX_EXAMPLES)
        merged.examples.push({ ...e, message: `${relative(dir, file)}: ${e.message}` });
    }
  }
  return merged;
}

/** sha256 over every part's path below `dir` and its sha256: the digest of the whole input. */
function inputDigest(dir: string, parts: readonly { file: string; sha256: string }[]): string {
  const hash = createHash('sha256');
  for (const p of parts) hash.update(`${relative(dir, p.file)}\t${p.sha256}\n`);
  return hash.digest('hex');
}

/** Ids of all parts in first-seen order, and each part's local -> merged index. */
function mergeIds(lists: readonly (readonly string[])[]): { ids: string[]; remaps: Int32Array[] } {
  const ids: string[] = [];
  const at = new Map<string, number>();
  const remaps = lists.map((list) =>
    Int32Array.from(list, (id) => {
      let index = at.get(id);
      if (index === undefined) {
        index = ids.length;
        at.set(id, index);
        ids.push(id);
      }
      return index;
    }),
  );
  return { ids, remaps };
}

function mergeEvents(dir: string, parts: readonly EventsRead[]): EventsRead {
  const users = mergeIds(parts.map((p) => p.userIds));
  const videos = mergeIds(parts.map((p) => p.videoIds));
  const types = mergeIds(parts.map((p) => p.types));
  const count = parts.reduce((n, p) => n + p.count, 0);
  const out = {
    user: new Int32Array(count),
    video: new Int32Array(count),
    value: new Float64Array(count),
    type: new Int32Array(count),
    timestamp: new Float64Array(count),
  };
  let at = 0;
  parts.forEach((p, n) => {
    const u = users.remaps[n] as Int32Array;
    const v = videos.remaps[n] as Int32Array;
    const t = types.remaps[n] as Int32Array;
    for (let i = 0; i < p.count; i++, at++) {
      out.user[at] = u[p.user[i] as number] as number;
      out.video[at] = v[p.video[i] as number] as number;
      const type = p.type[i] as number;
      out.type[at] = type < 0 ? -1 : (t[type] as number);
    }
    out.value.set(p.value, at - p.count);
    out.timestamp.set(p.timestamp, at - p.count);
  });
  return {
    file: dir,
    count,
    userIds: users.ids,
    videoIds: videos.ids,
    types: types.ids,
    ...out,
    bad: mergeBadRows(dir, parts),
    sha256: inputDigest(dir, parts),
    bytes: parts.reduce((n, p) => n + p.bytes, 0),
  };
}

/**
 * Reads events from a file, or from every part file of a directory merged into one (bad-row limit and
 * the two-users-two-videos rule applied to the whole).
 * @throws InputInvalidError as {@link readEvents} does, naming the part file of a bad row
 */
export async function readEventsInput(path: string, options: ReadEventsOptions = {}): Promise<EventsRead> {
  if (!(await isDirectory(path))) return readEvents(path, options);
  const parts: EventsRead[] = [];
  for (const file of await partFiles(path)) {
    parts.push(await readEvents(file, { ...options, maxBadFraction: 1, part: true }));
  }
  const merged = mergeEvents(path, parts);
  checkBadRows(path, merged.bad, options.maxBadFraction ?? DEFAULT_MAX_BAD_FRACTION);
  checkEnoughEvents(path, merged.count, merged.userIds, merged.videoIds);
  return merged;
}

/**
 * Reads video metadata from a file, or from every part file of a directory (a video described in two
 * parts keeps its first description; the second counts as a `duplicate-video` bad row).
 */
export async function readVideosInput(
  path: string,
  videoIds: readonly string[],
  options: ReadVideosOptions = {},
): Promise<VideosRead> {
  if (!(await isDirectory(path))) return readVideos(path, videoIds, options);
  const metadata: (VideoMeta | null)[] = videoIds.map(() => null);
  const parts: VideosRead[] = [];
  let duplicates = 0;
  for (const file of await partFiles(path)) {
    const part = await readVideos(file, videoIds, { ...options, maxBadFraction: 1 });
    part.metadata.forEach((meta, i) => {
      if (meta === null) return;
      if (metadata[i] === null) metadata[i] = meta;
      else duplicates++;
    });
    parts.push(part);
  }
  const bad = mergeBadRows(path, parts);
  if (duplicates > 0) {
    bad.count += duplicates;
    bad.byReason['duplicate-video'] = (bad.byReason['duplicate-video'] ?? 0) + duplicates;
  }
  checkBadRows(path, bad, options.maxBadFraction ?? DEFAULT_MAX_BAD_FRACTION);
  return {
    file: path,
    metadata,
    matched: metadata.filter((m) => m !== null).length,
    unmatched: parts.reduce((n, p) => n + p.unmatched, 0),
    bad,
    sha256: inputDigest(path, parts),
  };
}

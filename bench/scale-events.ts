/**
 * A seeded synthetic event log at data-lake scale, written as a warehouse would: Hive-partitioned by day
 * (`dt=2026-11-01/`), once as Snappy Parquet part files and once as CSV.gz part files with the same rows.
 *
 * Schema (one row per event): `user_id` BIGINT, `video_id` STRING (11-character ids like YouTube's),
 * `event_type` STRING (watch 70%, complete 20%, like 10%), `event_time` TIMESTAMP (ms). Skew: user
 * activity log-normal (sigma 1.2), video popularity Zipf (s = 1.0), so a few videos and users hold most
 * events, and repeated (user, video) pairs occur as re-watches do.
 * @module
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { createRng } from '../src/core/random.js';

/** Shape of a generated log. */
export interface ScaleEventsOptions {
  interactions: number;
  /** distinct users; default interactions / 50 */
  users?: number;
  /** distinct videos; default interactions / 500 (at least 1,000) */
  videos?: number;
  /** day partitions */
  days: number;
  /** rows per part file (and per Parquet row group) */
  rowsPerPart: number;
  seed: number;
}

/** What was written where. */
export interface ScaleEventsWritten {
  parquetDir: string;
  csvDir: string;
  users: number;
  videos: number;
  parts: number;
  parquetBytes: number;
  csvBytes: number;
}

const TYPES = ['watch', 'complete', 'like'] as const;
const FIRST_DAY = Date.UTC(2026, 10, 1);
const DAY_MS = 86_400_000;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function gaussian(rng: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

/** Cumulative weights for inverse-CDF draws. */
function cumulative(weights: (i: number) => number, n: number): Float64Array {
  const cdf = new Float64Array(n);
  let acc = 0;
  for (let i = 0; i < n; i++) {
    acc += weights(i);
    cdf[i] = acc;
  }
  return cdf;
}

function draw(cdf: Float64Array, rng: () => number): number {
  const target = rng() * (cdf[cdf.length - 1] as number);
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((cdf[mid] as number) < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** 11-character base64url video ids, distinct, deterministic for a seed. */
function videoIds(n: number, rng: () => number): string[] {
  const seen = new Set<string>();
  const ids: string[] = [];
  while (ids.length < n) {
    let id = '';
    for (let c = 0; c < 11; c++) id += ALPHABET[Math.floor(rng() * 64)];
    if (seen.has(id)) continue;
    seen.add(id);
    ids.push(id);
  }
  return ids;
}

interface Part {
  user: BigInt64Array;
  video: string[];
  type: string[];
  time: Float64Array;
}

function csvText(part: Part): string {
  const lines = ['user_id,video_id,event_type,event_time'];
  for (let i = 0; i < part.video.length; i++) {
    lines.push(
      `${part.user[i]},${part.video[i]},${part.type[i]},${new Date(part.time[i] as number).toISOString()}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function parquetOf(part: Part): Uint8Array {
  return new Uint8Array(
    parquetWriteBuffer({
      columnData: [
        { name: 'user_id', data: part.user, type: 'INT64', nullable: false },
        { name: 'video_id', data: part.video, type: 'STRING', nullable: false },
        { name: 'event_type', data: part.type, type: 'STRING', nullable: false },
        { name: 'event_time', data: Array.from(part.time), type: 'TIMESTAMP', nullable: false },
      ],
      rowGroupSize: part.video.length,
      statistics: false,
    }),
  );
}

/**
 * Writes the log under `dir/parquet/` and `dir/csv/`.
 * @param dir - an empty or new folder outside the project (the data is large)
 * @param options - size and shape
 * @param log - progress lines
 */
export function writeScaleEvents(
  dir: string,
  options: ScaleEventsOptions,
  log: (line: string) => void = () => {},
): ScaleEventsWritten {
  const users = options.users ?? Math.max(100, Math.floor(options.interactions / 50));
  const videos = options.videos ?? Math.max(1_000, Math.floor(options.interactions / 500));
  const rng = createRng(options.seed);
  const activity = new Float64Array(users);
  for (let u = 0; u < users; u++) activity[u] = Math.exp(1.2 * gaussian(rng));
  const userCdf = cumulative((u) => activity[u] as number, users);
  const videoCdf = cumulative((v) => 1 / (v + 1), videos);
  // Popularity ranks land on shuffled video ids, so popular videos are not the first ids.
  const ids = videoIds(videos, rng);
  const userKey = (u: number): bigint => BigInt(1_000_000_007 + u * 7919);
  const parquetDir = join(dir, 'parquet');
  const csvDir = join(dir, 'csv');
  const written = { parquetDir, csvDir, users, videos, parts: 0, parquetBytes: 0, csvBytes: 0 };
  const perDay = Math.ceil(options.interactions / options.days);
  let done = 0;
  for (let day = 0; day < options.days && done < options.interactions; day++) {
    const dt = new Date(FIRST_DAY + day * DAY_MS).toISOString().slice(0, 10);
    const dayRows = Math.min(perDay, options.interactions - done);
    for (let start = 0, index = 0; start < dayRows; start += options.rowsPerPart, index++) {
      const n = Math.min(options.rowsPerPart, dayRows - start);
      const part: Part = {
        user: new BigInt64Array(n),
        video: new Array<string>(n),
        type: new Array<string>(n),
        time: new Float64Array(n),
      };
      for (let i = 0; i < n; i++) {
        part.user[i] = userKey(draw(userCdf, rng));
        part.video[i] = ids[draw(videoCdf, rng)] as string;
        const t = rng();
        part.type[i] = TYPES[t < 0.7 ? 0 : t < 0.9 ? 1 : 2];
        part.time[i] = FIRST_DAY + day * DAY_MS + Math.floor(rng() * DAY_MS);
      }
      const name = `part-${String(index).padStart(5, '0')}`;
      const parquet = parquetOf(part);
      const csv = gzipSync(csvText(part), { level: 1 });
      mkdirSync(join(parquetDir, `dt=${dt}`), { recursive: true });
      mkdirSync(join(csvDir, `dt=${dt}`), { recursive: true });
      writeFileSync(join(parquetDir, `dt=${dt}`, `${name}.snappy.parquet`), parquet);
      writeFileSync(join(csvDir, `dt=${dt}`, `${name}.csv.gz`), csv);
      written.parts++;
      written.parquetBytes += parquet.length;
      written.csvBytes += csv.length;
      done += n;
    }
    log(
      `  dt=${dt}: ${done.toLocaleString('en-US')} of ${options.interactions.toLocaleString('en-US')} events`,
    );
  }
  return written;
}

/**
 * `npm run export -- --model <uri> (--s3 s3://bucket/prefix | --out DIR) [--k 50] [--format jsonl|parquet]`:
 * the top-k videos of every user of a published model, for e-mail campaigns and offline caches, as JSON
 * Lines (one `{"userId","recommendations":[...]}` per line, the API's answer) or as a Parquet data set
 * (part files, one row per recommendation, `_SUCCESS` last; see export-parquet.ts). Streamed: the user
 * blocks are read in order (a few ahead, as ranged reads when the model is in S3), answered, and written
 * out as they come, to S3 uploads or temporary files renamed when complete; memory stays at a few blocks,
 * one row group and a few upload parts whatever the number of users.
 * @module
 */
import { createGzip } from 'node:zlib';
import { SingleBar } from 'cli-progress';
import { Command } from 'commander';
import { pointerFor } from '../src/artifact/index.js';
import { ConfigInvalidError, InputInvalidError } from '../src/core/errors.js';
import { DEFAULT_MAX_K } from '../src/core/limits.js';
import type { Recommender, UserRecommendations } from '../src/recommender/index.js';
import { loadConfig, loadHandle, openModel } from '../src/serving/index.js';
import {
  type ArtifactSource,
  type OutputOptions,
  openArtifactSource,
  openOutput,
} from '../src/store/index.js';
import { runCommand } from './command.js';
import { checkDatasetFree, datasetUri, openParquetDataset } from './export-parquet.js';

/** The output formats. */
export const EXPORT_FORMATS = ['jsonl', 'parquet'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** What to export and where. */
export interface ExportOptions {
  /** the model root: a directory or s3://bucket/prefix */
  model: string;
  /** a version id instead of the one latest.json names */
  version?: string | undefined;
  /** where the file goes: a directory or s3://bucket/prefix */
  destination: string;
  k: number;
  /** score every video (default: the model's index, as served) */
  exact?: boolean | undefined;
  /** default 'jsonl' */
  format?: ExportFormat | undefined;
  /** JSON Lines only */
  gzip?: boolean | undefined;
  /** the file name, or the data set directory for Parquet (default recommendations-<version>-k<k>[.jsonl[.gz]]) */
  name?: string | undefined;
  /** Parquet: users per part file (default 100,000) */
  partUsers?: number | undefined;
  /** Parquet: rows per row group (default 250,000) */
  rowGroupRows?: number | undefined;
  output?: OutputOptions | undefined;
  forcePathStyle?: boolean | undefined;
}

/** Progress as users are written. */
export interface ExportReporter {
  start?(users: number, version: string): void;
  progress?(usersDone: number): void;
  end?(): void;
}

/** What an export wrote. */
export interface ExportResult {
  version: string;
  format: ExportFormat;
  /** the file, or the Parquet data set's directory / prefix */
  uri: string;
  users: number;
  /** recommendations written (rows of the Parquet data set) */
  rows: number;
  bytes: number;
  /** Parquet part files (1 for JSON Lines) */
  parts: number;
  seconds: number;
}

/** User blocks read ahead of the one being answered (ranged reads in flight). */
export const READ_AHEAD = 8;

/** One JSON line per user, in the API's shape. */
export function exportLine(user: UserRecommendations): string {
  return `${JSON.stringify({ userId: user.userId, recommendations: user.items })}\n`;
}

async function openVersion(
  source: ArtifactSource,
  version: string | undefined,
  exact: boolean,
): Promise<{ rec: Recommender; version: string; users: number }> {
  let pointer = version === undefined ? undefined : pointerFor(version);
  if (!pointer) {
    const read = await source.readPointer();
    if (!read.changed) throw new InputInvalidError(`No model published at ${source.uri}`);
    if (read.pointer === undefined) throw read.error;
    pointer = read.pointer;
  }
  // Users stay where they are and are read one block at a time.
  const handle = await loadHandle(source, pointer, version !== undefined, { slots: 1, preloadUsersBytes: 0 });
  const rec = openModel(handle, {
    slot: 0,
    scoring: { exact },
    userCacheBytes: 16 * 1024 * 1024,
    sourceFor: () => source,
  });
  return { rec, version: handle.version, users: handle.manifest.counts.users };
}

/** Answers every block in order, keeping READ_AHEAD blocks in flight, and hands each user to `write`. */
async function eachUser(
  rec: Recommender,
  k: number,
  write: (user: UserRecommendations) => Promise<void>,
): Promise<number> {
  const ahead: Promise<UserRecommendations[]>[] = [];
  let next = 0;
  const fill = (): void => {
    while (ahead.length < READ_AHEAD && next < rec.userBlocks) ahead.push(rec.recommendBlock(next++, { k }));
  };
  let users = 0;
  fill();
  while (ahead.length > 0) {
    const block = await (ahead.shift() as Promise<UserRecommendations[]>);
    fill();
    for (const user of block) {
      await write(user);
      users++;
    }
  }
  return users;
}

/** Where the users go: a JSON Lines file or a Parquet data set. */
interface ExportSink {
  write(user: UserRecommendations): Promise<void>;
  close(): Promise<{ uri: string; bytes: number; parts: number }>;
  abort(): Promise<void>;
}

function jsonLinesSink(options: ExportOptions, version: string): ExportSink {
  const name = options.name ?? `recommendations-${version}-k${options.k}.jsonl${options.gzip ? '.gz' : ''}`;
  const out = openOutput(options.destination, name, {
    forcePathStyle: options.forcePathStyle,
    ...options.output,
    contentType: options.gzip ? 'application/gzip' : 'application/jsonlines',
  });
  if (!options.gzip)
    return {
      write: (user) => out.write(exportLine(user)),
      close: async () => ({ ...(await out.close()), parts: 1 }),
      abort: () => out.abort(),
    };
  const gzip = createGzip();
  let failure: unknown;
  const pump = pipeGzip(gzip, out).catch((error: unknown) => {
    failure = error;
  });
  return {
    async write(user) {
      if (failure) throw failure;
      if (!gzip.write(exportLine(user))) await new Promise((resolve) => gzip.once('drain', resolve));
    },
    async close() {
      gzip.end();
      await pump;
      if (failure) throw failure;
      return { ...(await out.close()), parts: 1 };
    },
    async abort() {
      gzip.destroy();
      await out.abort();
    },
  };
}

async function parquetSink(options: ExportOptions, version: string): Promise<ExportSink> {
  const output = { forcePathStyle: options.forcePathStyle, ...options.output };
  const dataset = datasetUri(options.destination, options.name ?? `recommendations-${version}-k${options.k}`);
  await checkDatasetFree(dataset, output);
  return openParquetDataset({
    dataset,
    partUsers: options.partUsers,
    rowGroupRows: options.rowGroupRows,
    metadata: { 'model.version': version, k: String(options.k), exact: String(options.exact ?? false) },
    output,
  });
}

/** Refuses options that do not go together, before anything is read or written. */
function checkOptions(options: ExportOptions): ExportFormat {
  const format = options.format ?? 'jsonl';
  if (!isFormat(format)) throw new ConfigInvalidError(`--format must be one of ${EXPORT_FORMATS.join(', ')}`);
  if (format === 'parquet' && options.gzip)
    throw new ConfigInvalidError(
      '--gzip is for JSON Lines only: Parquet parts are already compressed (Snappy)',
    );
  if (format === 'jsonl' && (options.partUsers !== undefined || options.rowGroupRows !== undefined))
    throw new ConfigInvalidError('--part-users and --row-group-rows are for --format parquet only');
  return format;
}

/**
 * Writes the top-k recommendations of every user of a model as JSON Lines or as a Parquet data set.
 * @throws ConfigInvalidError for options that do not go together, or a Parquet data set location that
 * already holds files; InputInvalidError when nothing is published at `model`; the output is then not created
 * @example
 * await exportRecommendations({ model: 's3://models/rec', destination: 's3://exports/recs', k: 50 });
 * await exportRecommendations({ model: 'artifacts', destination: 'exports', k: 50, format: 'parquet' });
 */
export async function exportRecommendations(
  options: ExportOptions,
  reporter: ExportReporter = {},
): Promise<ExportResult> {
  const started = performance.now();
  const format = checkOptions(options);
  const source = openArtifactSource(options.model, { forcePathStyle: options.forcePathStyle });
  try {
    const { rec, version, users } = await openVersion(source, options.version, options.exact ?? false);
    const sink = format === 'parquet' ? await parquetSink(options, version) : jsonLinesSink(options, version);
    reporter.start?.(users, version);
    try {
      let rows = 0;
      const written = await eachUser(rec, options.k, async (user) => {
        await sink.write(user);
        rows += user.items.length;
        reporter.progress?.(1);
      });
      const closed = await sink.close();
      return {
        version,
        format,
        ...closed,
        users: written,
        rows,
        seconds: (performance.now() - started) / 1000,
      };
    } catch (error) {
      await sink.abort();
      throw error;
    } finally {
      reporter.end?.();
    }
  } finally {
    await source.close();
  }
}

/** Copies the compressed stream into the output as it comes. */
async function pipeGzip(
  gzip: ReturnType<typeof createGzip>,
  out: ReturnType<typeof openOutput>,
): Promise<void> {
  for await (const chunk of gzip) await out.write(chunk as Uint8Array);
}

/** A progress bar on a terminal, else a line at every tenth. */
function cliReporter(quiet: boolean): ExportReporter {
  if (quiet) return {};
  let bar: SingleBar | undefined;
  let total = 0;
  let done = 0;
  let nextLine = 0;
  return {
    start(users, version) {
      total = users;
      process.stdout.write(`Exporting ${users} users of model ${version}\n`);
      if (process.stderr.isTTY) {
        bar = new SingleBar({
          format: 'export [{bar}] {value}/{total} users | {eta}s left',
          hideCursor: true,
        });
        bar.start(users, 0);
      }
    },
    progress(n) {
      done += n;
      if (bar) {
        if (done % 256 === 0 || done === total) bar.update(done);
      } else if (done >= nextLine) {
        process.stdout.write(`${done}/${total} users\n`);
        nextLine += Math.max(1, Math.ceil(total / 10));
      }
    },
    end() {
      bar?.stop();
    },
  };
}

interface CliOptions {
  model: string;
  version?: string;
  s3?: string;
  out?: string;
  k: string;
  exact?: boolean;
  format: string;
  gzip?: boolean;
  name?: string;
  partUsers?: string;
  rowGroupRows?: string;
  quiet?: boolean;
}

function parseCli(argv: readonly string[]): CliOptions {
  return new Command('export')
    .description('write the top-k videos of every user of a published model as JSON Lines or Parquet')
    .option('--model <uri>', 'model root: a directory or s3://bucket/prefix', 'artifacts')
    .option('--version <id>', 'export this version instead of the one latest.json names')
    .option('--s3 <uri>', 'write to s3://bucket/prefix (a multipart upload)')
    .option('--out <dir>', 'write to a local directory')
    .option('--k <n>', 'videos per user', '10')
    .option('--exact', "score every video (default: the model's index, as served)")
    .option('--format <format>', `output format: ${EXPORT_FORMATS.join(' or ')}`, 'jsonl')
    .option('--gzip', 'compress the JSON Lines file (.jsonl.gz)')
    .option(
      '--name <file>',
      'file name, or the Parquet data set directory (default recommendations-<version>-k<k>[.jsonl])',
    )
    .option('--part-users <n>', 'parquet: users per part file (default 100000)')
    .option('--row-group-rows <n>', 'parquet: rows per row group (default 250000)')
    .option('--quiet', 'print only errors')
    .parse([...argv])
    .opts<CliOptions>();
}

function optionalInteger(value: string | undefined, label: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new ConfigInvalidError(`${label} must be a positive integer`);
  return n;
}

function isFormat(value: string): value is ExportFormat {
  return (EXPORT_FORMATS as readonly string[]).includes(value);
}

/** The command line as export options; a usage error is a {@link ConfigInvalidError} (exit 2). */
export function exportOptionsFromArgs(argv: readonly string[]): ExportOptions & { quiet: boolean } {
  const o = parseCli(argv);
  const k = Number(o.k);
  if (!Number.isInteger(k) || k < 1 || k > DEFAULT_MAX_K)
    throw new ConfigInvalidError(`--k must be an integer between 1 and ${DEFAULT_MAX_K}`);
  const destination = o.s3 ?? o.out;
  if (!destination || (o.s3 && o.out))
    throw new ConfigInvalidError('give exactly one of --s3 s3://bucket/prefix and --out DIR');
  if (o.s3 && !o.s3.startsWith('s3://'))
    throw new ConfigInvalidError('--s3 must look like s3://bucket/prefix');
  if (!isFormat(o.format))
    throw new ConfigInvalidError(`--format must be one of ${EXPORT_FORMATS.join(', ')}, got ${o.format}`);
  const options: ExportOptions = {
    model: o.model,
    version: o.version,
    destination,
    k,
    exact: o.exact,
    format: o.format,
    gzip: o.gzip,
    name: o.name,
    partUsers: optionalInteger(o.partUsers, '--part-users'),
    rowGroupRows: optionalInteger(o.rowGroupRows, '--row-group-rows'),
  };
  checkOptions(options);
  return { ...options, quiet: o.quiet ?? false };
}

async function main(argv: readonly string[]): Promise<number> {
  const { quiet, ...options } = exportOptionsFromArgs(argv);
  const result = await exportRecommendations(
    { ...options, forcePathStyle: loadConfig(process.env).s3ForcePathStyle },
    cliReporter(quiet),
  );
  if (!quiet) {
    const parts = result.format === 'parquet' ? ` in ${result.parts} parts` : '';
    const perSecond = Math.round(result.rows / Math.max(result.seconds, 1e-3));
    process.stdout.write(
      `Exported ${result.users} users, ${result.rows} recommendations (${result.bytes} bytes${parts}) of ${result.version} to ${result.uri} in ${result.seconds.toFixed(1)} s (${perSecond} rows/s)\n`,
    );
  }
  return 0;
}

if (process.argv[1]?.endsWith('export.ts')) runCommand('export', main);

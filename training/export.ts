/**
 * `npm run export -- --model <uri> (--s3 s3://bucket/prefix | --out DIR) [--k 50]`: the top-k videos of
 * every user of a published model as JSON Lines (one `{"userId","recommendations":[...]}` per line, the
 * API's answer), for e-mail campaigns and offline caches. Streamed: the user blocks are read in order (a
 * few ahead, as ranged reads when the model is in S3), answered, and written out as they come, to a
 * multipart upload on S3 or a temporary file renamed when complete; memory stays at a few blocks and
 * upload parts whatever the number of users.
 * @module
 */
import { createGzip } from 'node:zlib';
import { SingleBar } from 'cli-progress';
import { Command } from 'commander';
import { pointerFor } from '../src/artifact/index.js';
import { ConfigInvalidError, InputInvalidError, RecommenderError } from '../src/core/errors.js';
import { DEFAULT_MAX_K } from '../src/core/limits.js';
import type { Recommender, UserRecommendations } from '../src/recommender/index.js';
import { loadConfig, loadHandle, openModel } from '../src/serving/index.js';
import {
  type ArtifactSource,
  type OutputOptions,
  openArtifactSource,
  openOutput,
} from '../src/store/index.js';

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
  gzip?: boolean | undefined;
  /** the file name (default recommendations-<version>-k<k>.jsonl[.gz]) */
  name?: string | undefined;
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
  uri: string;
  users: number;
  bytes: number;
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

/**
 * Writes the top-k recommendations of every user of a model as JSON Lines.
 * @throws InputInvalidError when nothing is published at `model`; the output is then not created
 * @example
 * await exportRecommendations({ model: 's3://models/rec', destination: 's3://exports/recs', k: 50 });
 */
export async function exportRecommendations(
  options: ExportOptions,
  reporter: ExportReporter = {},
): Promise<ExportResult> {
  const started = performance.now();
  const source = openArtifactSource(options.model, { forcePathStyle: options.forcePathStyle });
  try {
    const { rec, version, users } = await openVersion(source, options.version, options.exact ?? false);
    const name = options.name ?? `recommendations-${version}-k${options.k}.jsonl${options.gzip ? '.gz' : ''}`;
    const contentType = options.gzip ? 'application/gzip' : 'application/jsonlines';
    const out = openOutput(options.destination, name, {
      forcePathStyle: options.forcePathStyle,
      ...options.output,
      contentType,
    });
    reporter.start?.(users, version);
    try {
      const gzip = options.gzip ? createGzip() : undefined;
      const pump = gzip ? pipeGzip(gzip, out) : undefined;
      const written = await eachUser(rec, options.k, async (user) => {
        if (gzip) {
          if (!gzip.write(exportLine(user))) await new Promise((resolve) => gzip.once('drain', resolve));
        } else await out.write(exportLine(user));
        reporter.progress?.(1);
      });
      if (gzip && pump) {
        gzip.end();
        await pump;
      }
      const closed = await out.close();
      return {
        version,
        uri: closed.uri,
        users: written,
        bytes: closed.bytes,
        seconds: (performance.now() - started) / 1000,
      };
    } catch (error) {
      await out.abort();
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

async function main(argv: readonly string[]): Promise<number> {
  const o = new Command('export')
    .description('write the top-k videos of every user of a published model as JSON Lines')
    .option('--model <uri>', 'model root: a directory or s3://bucket/prefix', 'artifacts')
    .option('--version <id>', 'export this version instead of the one latest.json names')
    .option('--s3 <uri>', 'write to s3://bucket/prefix (a multipart upload)')
    .option('--out <dir>', 'write to a local directory')
    .option('--k <n>', 'videos per user', '10')
    .option('--exact', "score every video (default: the model's index, as served)")
    .option('--gzip', 'compress the file (.jsonl.gz)')
    .option('--name <file>', 'file name (default recommendations-<version>-k<k>.jsonl)')
    .option('--quiet', 'print only errors')
    .parse([...argv])
    .opts<{
      model: string;
      version?: string;
      s3?: string;
      out?: string;
      k: string;
      exact?: boolean;
      gzip?: boolean;
      name?: string;
      quiet?: boolean;
    }>();
  const k = Number(o.k);
  if (!Number.isInteger(k) || k < 1 || k > DEFAULT_MAX_K)
    throw new ConfigInvalidError(`--k must be an integer between 1 and ${DEFAULT_MAX_K}`);
  const destination = o.s3 ?? o.out;
  if (!destination || (o.s3 && o.out))
    throw new ConfigInvalidError('give exactly one of --s3 s3://bucket/prefix and --out DIR');
  if (o.s3 && !o.s3.startsWith('s3://'))
    throw new ConfigInvalidError('--s3 must look like s3://bucket/prefix');
  const result = await exportRecommendations(
    {
      model: o.model,
      version: o.version,
      destination,
      k,
      exact: o.exact,
      gzip: o.gzip,
      name: o.name,
      forcePathStyle: loadConfig(process.env).s3ForcePathStyle,
    },
    cliReporter(o.quiet ?? false),
  );
  if (!o.quiet)
    process.stdout.write(
      `Exported ${result.users} users (${result.bytes} bytes) of ${result.version} to ${result.uri} in ${result.seconds.toFixed(1)} s\n`,
    );
  return 0;
}

if (process.argv[1]?.endsWith('export.ts')) {
  main(process.argv).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      const message =
        error instanceof RecommenderError || error instanceof Error ? error.message : String(error);
      process.stderr.write(`export: error: ${message}\n`);
      process.exitCode = error instanceof ConfigInvalidError ? 2 : 1;
    },
  );
}
